import { defineCacheFamily } from '../caching/cache-family';

/** A payment changes a few times in its life (processing → succeeded → refunded); each change invalidates it, so
 * the TTL only bounds staleness after an invalidation the cache Redis missed. */
const paymentCacheTtlMs = 60_000;

/** GET /v1/payments/:id, cached per merchant and payment. */
export const paymentCache = defineCacheFamily('payment', { ttlMs: paymentCacheTtlMs });
