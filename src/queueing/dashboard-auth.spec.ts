import { dashboardCredentialsValid, dashboardRoute, isDashboardRoute } from './dashboard-auth';

const basic = (userAndPassword: string) => `Basic ${Buffer.from(userAndPassword).toString('base64')}`;

describe('isDashboardRoute', () => {
  it.each([dashboardRoute, `${dashboardRoute}/`, `${dashboardRoute}/api/queues`, `${dashboardRoute}/static/*`])(
    'is true for the route pattern %s',
    (routeUrl) => {
      expect(isDashboardRoute(routeUrl)).toBe(true);
    },
  );

  it.each([undefined, '', '/', '/admin', '/admin/queuesx', '/admin/queues-old/api', '/v1/payments', '/health/live'])(
    'is false for %s (no route matched, or a route outside the dashboard)',
    (routeUrl) => {
      expect(isDashboardRoute(routeUrl)).toBe(false);
    },
  );
});

describe('dashboardCredentialsValid', () => {
  const token = 'token-0123456789abcdef0123456789abcdef';

  it('accepts admin and the admin token', () => {
    expect(dashboardCredentialsValid(basic(`admin:${token}`), token)).toBe(true);
    expect(dashboardCredentialsValid(`basic   ${Buffer.from(`admin:${token}`).toString('base64')}`, token)).toBe(true);
  });

  it('accepts a token that itself contains a colon (only the first colon separates)', () => {
    expect(dashboardCredentialsValid(basic('admin:a:b'), 'a:b')).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['a bearer token', `Bearer ${token}`],
    ['the wrong user', basic(`root:${token}`)],
    ['the wrong password', basic('admin:wrong')],
    ['no colon', basic(`admin${token}`)],
    ['an empty password', basic('admin:')],
    ['a token prefix', basic(`admin:${token.slice(0, -1)}`)],
    ['trailing garbage after the base64', `${basic(`admin:${token}`)} x`],
  ])('refuses %s', (_what, header) => {
    expect(dashboardCredentialsValid(header, token)).toBe(false);
  });
});
