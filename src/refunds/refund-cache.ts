import { defineCacheFamily } from '../caching/cache-family';

/** Like a payment: created once, then a few status changes, each invalidated. */
const refundCacheTtlMs = 60_000;

/** GET /v1/refunds/:id, cached per merchant and refund. */
export const refundCache = defineCacheFamily('refund', { ttlMs: refundCacheTtlMs });
