import { defineCacheFamily } from '../caching/cache-family';

/** A dispute changes two or three times in its life, each change invalidated; the TTL only bounds staleness after an
 * invalidation the cache Redis missed. */
const disputeCacheTtlMs = 60_000;

/** GET /v1/disputes/:id, cached per merchant and dispute. */
export const disputeCache = defineCacheFamily('dispute', { ttlMs: disputeCacheTtlMs });
