import { defineCacheFamily } from '../caching/cache-family';

/** A balance moves with every settled payment of the merchant: an invalidation the cache Redis missed must not be
 * served for long. */
const balanceCacheTtlMs = 10_000;

/** GET /v1/balance, cached per merchant; the ledger invalidates it whenever it records a transaction. */
export const balanceCache = defineCacheFamily('balance', { ttlMs: balanceCacheTtlMs });

/** The id of a merchant's one balance entry (a balance has no id of its own). */
export const currentBalanceId = 'current';
