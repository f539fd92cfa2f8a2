import type { LoggerService } from '@nestjs/common';
import type { CacheManagerOptions } from '@nestjs/cache-manager';
import KeyvRedis, { createClient } from '@keyv/redis';
import { Keyv } from 'keyv';
import { errorMessage } from '../common/errors/error-message';
import {
  cacheCommandTimeoutMs,
  cacheCommandQueueMax,
  cacheConnectTimeoutMs,
  cacheReconnectDelayMaxMs,
  cacheStartupWaitMs,
} from './caching.limits';
import { withDeadline } from '../common/deadline';
import { epochKey, isEntryKey } from './cache-key';

// Doubling from 100 ms up to the cap; the random part keeps many processes from reconnecting in step.
function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.min(attempt, 10), cacheReconnectDelayMaxMs) + Math.floor(Math.random() * 100);
}

/** A node-redis client for the cache Redis, made safe to lose (also used by the rate limiter, whose counters are
 * just as disposable). */
export function createCacheRedisClient(url: string, name: string) {
  return createClient({
    url,
    // Shown by CLIENT LIST, to tell which deployment (or test run) a connection belongs to.
    name,
    // Commands fail at once while disconnected, instead of queueing until a reconnection that may never come.
    disableOfflineQueue: true,
    commandsQueueMaxLength: cacheCommandQueueMax,
    socket: { connectTimeout: cacheConnectTimeoutMs, reconnectStrategy: reconnectDelayMs },
  });
}

export type CacheRedisClient = ReturnType<typeof createCacheRedisClient>;

// Advances the generation of an object and deletes its entries, in one command: a load that read the generation
// before this cannot store what it loaded afterwards. KEYS[1] generation, KEYS[2..] entries; ARGV[1] generation TTL;
// ARGV[2] and ARGV[3], when given, a channel and a message published in the same command, so that every process
// hears of an invalidation that happened, and of none that did not.
const invalidateScript = `
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
for i = 2, #KEYS do redis.call('UNLINK', KEYS[i]) end
if ARGV[2] then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return 1`;

/** A message published with an invalidation, on a channel of the store's (see CacheRedisStore.channel). */
export interface Announcement {
  channel: string;
  message: string;
}

// Stores an entry only while its object's generation and the namespace's epoch are the ones read before loading
// (no invalidation of the object, no drop of every entry, since). KEYS[1] entry, KEYS[2] generation, KEYS[3] epoch;
// ARGV[1] generation read ('' for none), ARGV[2] entry, ARGV[3] TTL in ms, ARGV[4] epoch read ('' for none).
const setUnlessInvalidatedScript = `
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return 0 end
if (redis.call('GET', KEYS[3]) or '') ~= ARGV[4] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

/** What a load read before loading, and must still hold when it stores what it loaded. */
export interface Generation {
  /** The object's generation, '' before its first invalidation. */
  object: string;
  /** The namespace's epoch, '' before the first drop of every entry. */
  namespace: string;
}

/** A glob pattern matching `literal` only, for SCAN MATCH. */
function globEscaped(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}

/**
 * The @keyv/redis store of the cache, made safe to lose. Errors are thrown (not swallowed into a miss) so a failed
 * read is counted and skips the write-back; after shutdown the client stays closed, where KeyvRedis would reconnect
 * it on the next command.
 */
export class CacheRedisStore extends KeyvRedis<string> {
  private shutDown = false;

  constructor(
    private readonly redis: CacheRedisClient,
    namespace: string,
    /** The deadline of each command (CACHE_COMMAND_TIMEOUT_MS): past it, callers go without the cache. */
    readonly commandTimeoutMs: number = cacheCommandTimeoutMs,
  ) {
    super(redis, { namespace, keyPrefixSeparator: ':', throwOnErrors: true, throwOnConnectError: true });
  }

  override async getClient(): ReturnType<KeyvRedis<string>['getClient']> {
    if (this.shutDown) throw new Error('the cache store is shut down');
    return super.getClient();
  }

  /**
   * The generation of an object's entries and the epoch of the namespace, in one command. Read it after a miss and
   * before loading, and store what was loaded with `setUnlessInvalidated`.
   */
  async generation(generationKey: string): Promise<Generation> {
    const client = await this.getClient();
    const [object, namespace] = await client.mGet([this.redisKey(generationKey), this.redisKey(epochKey)]);
    return { object: object ?? '', namespace: namespace ?? '' };
  }

  /**
   * Stores `serialized` (an entry as Keyv serialized it) under `key` for `ttlMs`, unless the object was invalidated
   * (or every entry dropped) since `generation` was read, in which case what was loaded may predate the change and
   * nothing is stored. Returns whether the entry was stored.
   */
  async setUnlessInvalidated(
    key: string,
    serialized: string,
    ttlMs: number,
    generationKey: string,
    generation: Generation,
  ): Promise<boolean> {
    const client = await this.getClient();
    const stored = await client.eval(setUnlessInvalidatedScript, {
      keys: [this.redisKey(key), this.redisKey(generationKey), this.redisKey(epochKey)],
      arguments: [generation.object, serialized, String(ttlMs), generation.namespace],
    });
    return stored === 1;
  }

  /**
   * Deletes `keys` (an object's entries) and advances the object's generation, which lives `generationTtlMs`;
   * publishes `announcement` in the same command, when given.
   */
  async invalidate(
    generationKey: string,
    keys: readonly string[],
    generationTtlMs: number,
    announcement?: Announcement,
  ): Promise<void> {
    const client = await this.getClient();
    await client.eval(invalidateScript, {
      keys: [this.redisKey(generationKey), ...keys.map((key) => this.redisKey(key))],
      arguments: [String(generationTtlMs), ...(announcement ? [announcement.channel, announcement.message] : [])],
    });
  }

  /**
   * Drops every entry of the namespace, of every family and merchant, for when an unknown set of invalidations was
   * missed. The epoch advances first, so a load that read it before cannot store afterwards what it loaded; then
   * SCAN finds the entries (generations and the epoch stay), and `announcement` is published once they are gone.
   * Each command has `commandTimeoutMs`; returns how many entries were deleted.
   */
  async dropEverything(commandTimeoutMs: number, scanCount: number, announcement?: Announcement): Promise<number> {
    const client = await this.getClient();
    await withDeadline(client.incr(this.redisKey(epochKey)), commandTimeoutMs, 'cache epoch advance');
    const prefix = this.redisKey('');
    const match = `${globEscaped(prefix)}*`;
    let cursor = '0';
    let deleted = 0;
    do {
      const page = await withDeadline(
        client.scan(cursor, { MATCH: match, COUNT: scanCount }),
        commandTimeoutMs,
        'cache scan',
      );
      cursor = page.cursor;
      const entries = page.keys.filter((key) => key.startsWith(prefix) && isEntryKey(key.slice(prefix.length)));
      if (entries.length > 0) {
        deleted += await withDeadline(client.unlink(entries), commandTimeoutMs, 'cache entries unlink');
      }
    } while (cursor !== '0');
    if (announcement) {
      await withDeadline(client.publish(announcement.channel, announcement.message), commandTimeoutMs, 'cache publish');
    }
    return deleted;
  }

  /**
   * Calls `back` when the connection is ready again after it was lost (not on the first connection, however long
   * that took): invalidations that others made meanwhile may not have reached this Redis.
   */
  onReconnection(back: () => void): void {
    // The first connection is usually up before anyone listens (connectCacheStore waits for it).
    let connectedBefore = this.redis.isReady;
    let lost = false;
    this.redis.on('error', () => {
      lost = connectedBefore;
    });
    this.redis.on('ready', () => {
      if (lost) back();
      connectedBefore = true;
      lost = false;
    });
  }

  /** The pub/sub channel `name` of this store: under its namespace, so deployments sharing a server never mix. */
  channel(name: string): string {
    return this.redisKey(name);
  }

  /** Whether the store's connection is up now. */
  get isReady(): boolean {
    return this.redis.isReady;
  }

  /** A new connection to the same server with the same options, named `name` (a subscriber needs its own). */
  duplicateClient(name: string): CacheRedisClient {
    return this.redis.duplicate({ name });
  }

  /** Destroys rather than closes: close() waits for replies that a hung Redis never sends, and losing an in-flight
   * cache write costs no more than a later miss. */
  override disconnect(): Promise<void> {
    this.shutDown = true;
    if (this.redis.isOpen) this.redis.destroy();
    return Promise.resolve();
  }

  /** The Redis key of a cache key: under the namespace, as KeyvRedis's own get, set and delete write it. */
  private redisKey(key: string): string {
    return this.createKeyPrefix(key, this.namespace);
  }
}

/**
 * The cache's Keyv on Redis at `url` (its database number honoured), every key under `${keyPrefix}:cache:`.
 * Waits up to `cacheStartupWaitMs` for the first connection, then returns either way: the application serves
 * without its cache (from the loaders) until Redis answers, and the client keeps reconnecting in the background.
 */
export async function connectCacheStore(
  url: string,
  keyPrefix: string,
  logger: LoggerService,
  commandTimeoutMs: number = cacheCommandTimeoutMs,
): Promise<Keyv> {
  const namespace = `${keyPrefix}:cache`;
  const redis = createCacheRedisClient(url, namespace);
  const keyv = new Keyv({
    store: new CacheRedisStore(redis, namespace, commandTimeoutMs),
    namespace,
    useKeyPrefix: false,
    // Entries are plain JSON (no Buffers, whose encoding is what Keyv's own serializer adds): the native functions
    // are several times faster than Keyv's, which revives every value of an entry through a JavaScript callback.
    serialize: JSON.stringify,
    deserialize: JSON.parse,
  });
  keyv.throwOnErrors = true;
  // Each failed command is already thrown to (and counted by) its caller; the event would only duplicate it.
  keyv.on('error', () => undefined);
  await connectWithin(redis, logger, { what: 'cache Redis', meanwhile: 'serving without the cache' });
  return keyv;
}

/**
 * Connects `redis`, logging each change between answering and not (once, not once per failed reconnection), and
 * waits up to `cacheStartupWaitMs` for the first connection, then returns either way: the caller works without
 * that Redis until it answers, and the client keeps reconnecting in the background.
 */
export async function connectWithin(
  redis: CacheRedisClient,
  logger: LoggerService,
  { what, meanwhile }: { what: string; meanwhile: string },
): Promise<void> {
  let available: boolean | undefined;
  redis.on('ready', () => {
    if (available !== true) logger.log(`${what} connected`);
    available = true;
  });
  redis.on('error', (error: unknown) => {
    if (available !== false) logger.warn(`${what} unavailable, ${meanwhile} until it answers: ${errorMessage(error)}`);
    available = false;
  });
  const connecting = redis.connect();
  // connect() settles only once Redis answers (it retries until then), or rejects when the client is destroyed.
  connecting.catch(() => undefined);
  await withDeadline(connecting, cacheStartupWaitMs, `connecting to the ${what}`).catch(() => undefined);
}

/**
 * A Keyv store as @nestjs/cache-manager's options type it. That package is ES modules, so its declarations see keyv's
 * ESM types while this CommonJS build sees keyv's CJS types: one class at run time, two declarations to the compiler
 * (their private fields differ in name only). The cast crosses that seam and nothing else.
 */
export function nestCacheStores(...stores: Keyv[]): CacheManagerOptions['stores'] {
  return stores as unknown as CacheManagerOptions['stores'];
}
