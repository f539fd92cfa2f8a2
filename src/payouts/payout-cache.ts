import { defineCacheFamily } from '../caching/cache-family';

/** A payout changes two or three times (pending → in_transit → paid); each change invalidates it, so the TTL only
 * bounds staleness after an invalidation the cache Redis missed. */
const payoutCacheTtlMs = 60_000;

/** GET /v1/payouts/:id, cached per merchant and payout. */
export const payoutCache = defineCacheFamily('payout', { ttlMs: payoutCacheTtlMs });
