import type { FastifyServerOptions } from 'fastify';

export type TrustProxySetting = boolean | number | string[];

/**
 * Fastify's `trustProxy` for the TRUST_PROXY setting: which proxies may name the client in X-Forwarded-For, and so
 * decide `request.ip`. Addresses, CIDR ranges and booleans pass as they are. A hop count is made the function that
 * trusts that many hops nearest the server (what Express and older Fastify did): this Fastify's own reading of a
 * number trusts nothing, which would put every client behind a load balancer under the balancer's one address.
 */
export function fastifyTrustProxy(setting: TrustProxySetting): FastifyServerOptions['trustProxy'] {
  if (typeof setting !== 'number') return setting;
  const hops = setting;
  return (_address: string, hop: number) => hop < hops;
}
