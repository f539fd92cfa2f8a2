import { defineCacheFamily } from '../caching/cache-family';

/**
 * The merchant of an API key, looked up on every authenticated request by the hash of the key's secret.
 * - ttlMs: a revocation invalidates it explicitly and a key's merchant never changes; the TTL bounds a revocation
 *   whose invalidation the cache Redis missed.
 * - inProcess: each process also keeps it for up to a second. A revocation clears the revoking process at once and
 *   every other one when its message arrives; the second bounds the delay for a process that missed the message
 *   (API.md: a revoked key is refused by every instance within one second). Longer would save little: a key still
 *   costs one Redis read per process per second. About one entry per active key; the least recently used go first.
 */
export const apiKeyCache = defineCacheFamily('api_key', {
  ttlMs: 300_000,
  inProcess: { ttlMs: 1_000, entriesMax: 10_000 },
});

/** The merchant segment of API key entries: a key is looked up before its merchant is known. */
export const apiKeyCacheScope = '-';
