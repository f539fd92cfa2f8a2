/**
 * Every bound of the caching module, with the reason beside it. Entries are deleted after each commit that changes
 * them (and loads racing a commit cannot store what they read: see HotCache), so a TTL is not how fresh data gets:
 * it bounds how long a missed invalidation (the cache Redis down or slow at that moment) can serve stale data.
 */

// How long a found entry lives is each family's own bound, declared with it (defineCacheFamily) in its feature.

/** How long an object's generation lives after its last invalidation. A load compares the generation it read before
 * loading with the current one when it stores what it loaded, so the generation must outlive every load that
 * started before the invalidation: loads are cut off far sooner (see cacheWriteBackWindowMs). */
export const generationTtlMs = 600_000;

/** A load that took longer than this is returned to its callers but not cached: the generation it read may have
 * expired meanwhile. Ten times below generationTtlMs; a PostgreSQL read of a hot row takes milliseconds. */
export const cacheWriteBackWindowMs = 60_000;

/** How long a "not found" marker lives: long enough to absorb a burst of lookups of the same unknown id, short
 * because unknown ids are unbounded (a client probing random ids must not fill the cache for long) and because a
 * row whose transaction had not committed when it was looked up must show up soon. */
export const notFoundTtlMs = 5_000;

/** Each TTL is shortened by a random part of up to this fraction, so entries written together (a deploy, a traffic
 * burst) do not all expire in the same instant and send their reloads to PostgreSQL at once. Never lengthened:
 * the named TTL stays the upper bound on staleness. */
export const ttlJitterRatio = 0.2;

/** Deadline of one cache Redis command (the default of CACHE_COMMAND_TIMEOUT_MS). A healthy Redis answers in about a
 * millisecond; past this, loading from PostgreSQL is faster than waiting, so the cache is skipped for that call
 * instead of slowing the request. */
export const cacheCommandTimeoutMs = 100;

/** At start, how long to wait for the cache Redis before serving without it: enough for a local or same-zone
 * connection; an absent cache must not hold up the API, which works (slower) without it. */
export const cacheStartupWaitMs = 1_000;

/** Deadline of one TCP connection attempt to the cache Redis; the client keeps retrying in the background. */
export const cacheConnectTimeoutMs = 1_000;

/** Longest pause between reconnection attempts, so the cache comes back within seconds of Redis coming back. */
export const cacheReconnectDelayMaxMs = 2_000;

/** Commands waiting for a reply from a Redis that stopped answering are refused past this many, so a hung
 * server costs a bounded amount of memory (every caller has already given up on them after the command timeout). */
export const cacheCommandQueueMax = 1_000;

/** Failed or slow cache commands are logged at most once per this interval (every one is counted): one line is
 * enough to see an outage, one per request would flood the log while it lasts. */
export const cacheFailureLogIntervalMs = 10_000;

/** Invalidations this process could not make (the cache Redis down or slow) that it remembers, one per object, to
 * make them before it reads the cache again. Beyond this it remembers only that it missed some, and drops every
 * entry of the cache instead (all merchants: a cold cache, not a stale one). Each costs about 200 bytes; an outage
 * of a minute at 100 changed objects per second stays within it. */
export const invalidationsPendingMax = 10_000;

/** Missed invalidations replayed per batch, sent together: far below cacheCommandQueueMax, and few round trips
 * even for invalidationsPendingMax of them. */
export const invalidationReplayBatchMax = 100;

/** While this process has invalidations to replay, how often it tries when nothing else prompts it (a read, a
 * reconnection): other processes serve the entries it could not invalidate until its replay lands. */
export const invalidationReplayRetryMs = 1_000;

/** Keys per SCAN when every entry is dropped: one step of a few milliseconds on the server. */
export const dropScanCount = 1_000;

/** After its connection to the cache Redis came back, how long a process reads nothing from the cache: long enough
 * for the other processes, which lost theirs too, to reconnect (each waits at most cacheReconnectDelayMaxMs plus
 * 100 ms of jitter between attempts) and replay the invalidations they missed. Costs a few seconds of reads from
 * PostgreSQL after an outage that has sent every read there anyway. */
export const cacheRejoinQuietMs = cacheReconnectDelayMaxMs + 1_000;

/** On a Redis Cluster, while a node's connection is down, how often the client checks whether every master is
 * connected again (node-redis reconnects each node on its own but says so only once per node): the cache is
 * known back within this of its return, for a few cheap property reads per check. */
export const cacheClusterNodeCheckIntervalMs = 100;

/** On a Redis Cluster, the hash-slot groups the cache's keys are spread over: each merchant's entries, generations
 * and its group's epoch share one slot (cacheSlotTag), so the cache's scripts, which touch several of them at once,
 * run on one node. 1,024 groups spread the cache evenly over clusters of up to about a hundred masters; dropping
 * every entry advances each group's epoch, 1,024 INCRs, once per overflow of missed invalidations. One server
 * needs no groups (its key names stay as they were). */
export const cacheClusterSlotGroups = 1_024;
