import { fastifyTrustProxy } from './trusted-proxies';

describe('fastifyTrustProxy', () => {
  it.each([false, true, ['10.0.0.1', '192.168.0.0/16']])('passes %j on as it is', (setting) => {
    expect(fastifyTrustProxy(setting)).toEqual(setting);
  });

  it('trusts exactly the given number of hops nearest the server', () => {
    const trusted = fastifyTrustProxy(2) as (address: string, hop: number) => boolean;
    expect([0, 1, 2, 3].map((hop) => trusted('10.0.0.1', hop))).toEqual([true, true, false, false]);
  });

  it('trusts no hop for a count of 0', () => {
    const trusted = fastifyTrustProxy(0) as (address: string, hop: number) => boolean;
    expect(trusted('10.0.0.1', 0)).toBe(false);
  });
});
