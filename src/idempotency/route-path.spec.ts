import { routePathOf } from './route-path';

describe('routePathOf', () => {
  it('is the pattern itself for a route without parameters', () => {
    expect(routePathOf('/v1/payments', {})).toBe('/v1/payments');
  });

  it.each([
    ['/v1/payments/:id/capture', { id: 'pay_123' }, '/v1/payments/pay_123/capture'],
    ['/v1/payments/:id/cancel', { id: 'pay_123' }, '/v1/payments/pay_123/cancel'],
    ['/v1/admin/merchants/:id/api_keys', { id: 'mer_9' }, '/v1/admin/merchants/mer_9/api_keys'],
    [
      '/v1/admin/merchants/:id/api_keys/:key_id',
      { id: 'mer_9', key_id: 'key_1' },
      '/v1/admin/merchants/mer_9/api_keys/key_1',
    ],
  ])('rebuilds %s with %j as %s', (pattern, params, path) => {
    expect(routePathOf(pattern, params)).toBe(path);
  });

  it('puts in the decoded value and ignores parameters the pattern does not name', () => {
    expect(routePathOf('/v1/things/:id', { id: 'a b', other: 'x' })).toBe('/v1/things/a b');
  });

  it('refuses a pattern naming a parameter the request lacks', () => {
    expect(() => routePathOf('/v1/payments/:id/capture', {})).toThrow(RangeError);
    expect(() => routePathOf('/v1/payments/:id/capture', { id: 7 })).toThrow(RangeError);
  });

  it.each(['/v1/files/*', '/v1/things/:id(^\\d+)', '/v1/a::b'])(
    'refuses %s, which it could not rebuild exactly',
    (pattern) => {
      expect(() => routePathOf(pattern, { id: '1' })).toThrow(RangeError);
    },
  );
});
