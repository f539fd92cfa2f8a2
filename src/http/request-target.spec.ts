import { isOriginForm } from './request-target';

describe('isOriginForm', () => {
  it.each(['/', '/v1/payments', '/admin/queues?x=1', '//double', '/%61dmin'])('accepts %s', (target) => {
    expect(isOriginForm(target)).toBe(true);
  });

  it.each([undefined, '', '*', 'http://x/admin/queues', 'HTTPS://x/', 'example.com:443', 'admin/queues'])(
    'refuses %s',
    (target) => {
      expect(isOriginForm(target)).toBe(false);
    },
  );
});
