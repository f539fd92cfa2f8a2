import type { LoggerService } from '@nestjs/common';
import KeyvRedis, { createClient } from '@keyv/redis';
import { Keyv } from 'keyv';
import {
  cacheCommandQueueMax,
  cacheConnectTimeoutMs,
  cacheReconnectDelayMaxMs,
  cacheStartupWaitMs,
} from './caching.limits';
import { withDeadline } from './deadline';

// Doubling from 100 ms up to the cap; the random part keeps many processes from reconnecting in step.
function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.min(attempt, 10), cacheReconnectDelayMaxMs) + Math.floor(Math.random() * 100);
}

function createCacheRedisClient(url: string, name: string) {
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

type CacheRedisClient = ReturnType<typeof createCacheRedisClient>;

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
  ) {
    super(redis, { namespace, keyPrefixSeparator: ':', throwOnErrors: true, throwOnConnectError: true });
  }

  override async getClient(): ReturnType<KeyvRedis<string>['getClient']> {
    if (this.shutDown) throw new Error('the cache store is shut down');
    return super.getClient();
  }

  /** Destroys rather than closes: close() waits for replies that a hung Redis never sends, and losing an in-flight
   * cache write costs no more than a later miss. */
  override disconnect(): Promise<void> {
    this.shutDown = true;
    if (this.redis.isOpen) this.redis.destroy();
    return Promise.resolve();
  }
}

/**
 * The cache's Keyv on Redis at `url` (its database number honoured), every key under `${keyPrefix}:cache:`.
 * Waits up to `cacheStartupWaitMs` for the first connection, then returns either way: the application serves
 * without its cache (from the loaders) until Redis answers, and the client keeps reconnecting in the background.
 */
export async function connectCacheStore(url: string, keyPrefix: string, logger: LoggerService): Promise<Keyv> {
  const namespace = `${keyPrefix}:cache`;
  const redis = createCacheRedisClient(url, namespace);
  let available: boolean | undefined;
  redis.on('ready', () => {
    if (available !== true) logger.log('cache Redis connected');
    available = true;
  });
  redis.on('error', (error: unknown) => {
    if (available !== false) {
      const reason = error instanceof Error ? error.message : String(error);
      logger.warn(`cache Redis unavailable, serving without the cache until it answers: ${reason}`);
    }
    available = false;
  });
  const keyv = new Keyv({
    store: new CacheRedisStore(redis, namespace),
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
  const connecting = redis.connect();
  // connect() settles only once Redis answers (it retries until then), or rejects when the client is destroyed.
  connecting.catch(() => undefined);
  await withDeadline(connecting, cacheStartupWaitMs, 'connecting to the cache Redis').catch(() => undefined);
  return keyv;
}
