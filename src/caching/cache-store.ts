import type { LoggerService } from '@nestjs/common';
import type { CacheManagerOptions } from '@nestjs/cache-manager';
import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import { errorMessage } from '../common/errors/error-message';
import type { RedisTarget } from '../config/redis-target';
import { cacheClusterSlotGroups, cacheCommandTimeoutMs, cacheStartupWaitMs } from './caching.limits';
import { withDeadline } from '../common/deadline';
import { type CacheRedis, createCacheRedis } from './cache-redis';
import { cacheSlotTag, cacheSlotTags, epochKey, isEntryKey, merchantOfKey, withoutSlotTag } from './cache-key';

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

  /** Slot groups of the keys: 1 on one server (no hash tags), cacheClusterSlotGroups on a cluster. */
  private readonly slotGroups: number;

  constructor(
    private readonly redis: CacheRedis,
    namespace: string,
    /** The deadline of each command (CACHE_COMMAND_TIMEOUT_MS): past it, callers go without the cache. */
    readonly commandTimeoutMs: number = cacheCommandTimeoutMs,
  ) {
    super(redis.client, { namespace, keyPrefixSeparator: ':', throwOnErrors: true, throwOnConnectError: true });
    this.slotGroups = redis.clustered ? cacheClusterSlotGroups : 1;
  }

  /** The client, without connecting it: connectCacheStore started its connection, which retries on its own (a
   * second connect() beside it would fail or race it on a cluster). */
  override async getClient(): ReturnType<KeyvRedis<string>['getClient']> {
    if (this.shutDown) throw new Error('the cache store is shut down');
    if (!this.redis.isOpen) throw new Error('the cache Redis is not connected');
    return Promise.resolve(this.redis.client);
  }

  /**
   * The Redis key of a key under the namespace, as KeyvRedis's own get, set and delete write it too. On a cluster
   * a merchant's keys carry its slot group's hash tag (`payments:cache:{17}:payment:mer_A:pay_1`), so that the
   * scripts below, which touch an object's entries, its generation and the epoch at once, find them on one node.
   */
  override createKeyPrefix(key: string, namespace?: string): string {
    const merchant = merchantOfKey(key);
    const tag = merchant === undefined ? '' : cacheSlotTag(merchant, this.slotGroups);
    return super.createKeyPrefix(tag === '' ? key : `${tag}:${key}`, namespace);
  }

  /**
   * The generation of an object's entries and the epoch of the namespace, in one command. Read it after a miss and
   * before loading, and store what was loaded with `setUnlessInvalidated`.
   */
  async generation(generationKey: string): Promise<Generation> {
    const client = await this.getClient();
    const [object, namespace] = await client.mGet([this.redisKey(generationKey), this.epochKeyOf(generationKey)]);
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
      keys: [this.redisKey(key), this.redisKey(generationKey), this.epochKeyOf(generationKey)],
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
    const epochs = cacheSlotTags(this.slotGroups).map((tag) => this.taggedKey(tag, epochKey));
    await withDeadline(Promise.all(epochs.map((epoch) => client.incr(epoch))), commandTimeoutMs, 'cache epoch advance');
    const prefix = this.taggedKey('', '');
    const match = `${globEscaped(prefix)}*`;
    let deleted = 0;
    // SCAN sees the keys of one server: on a cluster, each master is walked.
    for (const server of await this.redis.servers()) {
      let cursor = '0';
      do {
        const page = await withDeadline(
          server.scan(cursor, { MATCH: match, COUNT: scanCount }),
          commandTimeoutMs,
          'cache scan',
        );
        cursor = page.cursor;
        // A multi-key UNLINK must stay within one slot on a cluster: the entries go by slot group.
        const entriesByTag = new Map<string, string[]>();
        for (const key of page.keys) {
          if (!key.startsWith(prefix)) continue;
          const { tag, key: rest } = withoutSlotTag(key.slice(prefix.length));
          if (!isEntryKey(rest)) continue;
          entriesByTag.set(tag, [...(entriesByTag.get(tag) ?? []), key]);
        }
        const unlinks = [...entriesByTag.values()].map((entries) => client.unlink(entries));
        const counts = await withDeadline(Promise.all(unlinks), commandTimeoutMs, 'cache entries unlink');
        deleted += counts.reduce((sum, count) => sum + Number(count), 0);
      } while (cursor !== '0');
    }
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
    return this.taggedKey('', name);
  }

  /** Whether the store's connection is up now. */
  get isReady(): boolean {
    return this.redis.isReady;
  }

  /** A new connection to the same Redis with the same options, named `name` (a subscriber needs its own). */
  duplicateClient(name: string): CacheRedis {
    return this.redis.duplicate(name);
  }

  /** Destroys rather than closes: close() waits for replies that a hung Redis never sends, and losing an in-flight
   * cache write costs no more than a later miss. */
  override disconnect(): Promise<void> {
    this.shutDown = true;
    this.redis.destroy();
    return Promise.resolve();
  }

  /** The Redis key of a cache key: under the namespace (and its slot group's tag), as KeyvRedis's get writes it. */
  private redisKey(key: string): string {
    return this.createKeyPrefix(key, this.namespace);
  }

  /** The epoch of the slot group of `key` (an entry's or a generation's): the namespace's one epoch on one server. */
  private epochKeyOf(key: string): string {
    const merchant = merchantOfKey(key);
    if (merchant === undefined) throw new Error(`not a key of a merchant: ${key}`);
    return this.taggedKey(cacheSlotTag(merchant, this.slotGroups), epochKey);
  }

  /** `key` under the namespace, after `tag` when there is one. */
  private taggedKey(tag: string, key: string): string {
    return `${this.namespace ?? ''}:${tag === '' ? '' : `${tag}:`}${key}`;
  }
}

/**
 * The cache's Keyv on the Redis at `target` (one server's URL, its database number honoured, or a cluster), every
 * key under `${keyPrefix}:cache:`. Waits up to `cacheStartupWaitMs` for the first connection, then returns either
 * way: the application serves without its cache (from the loaders) until Redis answers, and the client keeps
 * reconnecting in the background.
 */
export async function connectCacheStore(
  target: RedisTarget | string,
  keyPrefix: string,
  logger: LoggerService,
  commandTimeoutMs: number = cacheCommandTimeoutMs,
): Promise<Keyv> {
  const namespace = `${keyPrefix}:cache`;
  const redis = createCacheRedis(typeof target === 'string' ? { mode: 'standalone', url: target } : target, namespace);
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
  redis: CacheRedis,
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
  // connect() settles only once Redis answers (it retries until then), or rejects when the connection is destroyed.
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
