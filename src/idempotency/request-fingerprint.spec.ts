import { canonicalJson, fingerprintKey, requestFingerprint } from './request-fingerprint';

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
  });

  it('drops undefined members like JSON does', () => {
    expect(canonicalJson({ a: undefined, b: 'x' })).toBe('{"b":"x"}');
  });

  it('handles scalars and empty bodies', () => {
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson('s')).toBe('"s"');
    expect(canonicalJson({})).toBe('{}');
  });
});

describe('requestFingerprint', () => {
  const key = fingerprintKey(Buffer.alloc(32, 7));

  it('is the same for the same request whatever the key order', () => {
    expect(requestFingerprint(key, 'post', '/v1/payments', { amount: 1, currency: 'usd' })).toBe(
      requestFingerprint(key, 'POST', '/v1/payments', { currency: 'usd', amount: 1 }),
    );
  });

  it('differs by body, path, method and key', () => {
    const base = requestFingerprint(key, 'POST', '/v1/payments', { amount: 1 });
    expect(requestFingerprint(key, 'POST', '/v1/payments', { amount: 2 })).not.toBe(base);
    expect(requestFingerprint(key, 'POST', '/v1/refunds', { amount: 1 })).not.toBe(base);
    expect(requestFingerprint(key, 'PUT', '/v1/payments', { amount: 1 })).not.toBe(base);
    expect(requestFingerprint(fingerprintKey(Buffer.alloc(32, 8)), 'POST', '/v1/payments', { amount: 1 })).not.toBe(
      base,
    );
  });

  it('never contains the body in the clear', () => {
    expect(requestFingerprint(key, 'POST', '/p', { number: '4242424242424242' })).not.toContain('4242');
  });
});
