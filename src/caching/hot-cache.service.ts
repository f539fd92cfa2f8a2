import { Stream } from 'node:stream';
import {
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
  StreamableFile,
} from '@nestjs/common';
import { Cache } from '@nestjs/cache-manager';
import { Counter, Gauge } from 'prom-client';
import { ApiError, type ApiErrorType } from '../common/errors/api-error';
import { errorMessage } from '../common/errors/error-message';
import { Database, type Tx } from '../database/database';
import { CacheCounters, type CacheFamilyCounts } from './cache-counters';
import type { CacheFamily } from './cache-family';
import { type Announcement, CacheRedisStore, type Generation } from './cache-store';
import { cacheKey, type CacheView, entryKeysOf, generationKeyOf, viewKey } from './cache-key';
import { CacheRecovery, type RecoverySnapshot } from './cache-recovery';
import { CacheSubscription } from './cache-subscription';
import { entryTtlMs } from './cache-ttl';
import {
  cacheFailureLogIntervalMs,
  cacheWriteBackWindowMs,
  generationTtlMs,
} from './caching.limits';
import { withDeadline } from '../common/deadline';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { type Flight, SingleFlight } from './single-flight';
import { everyCopyDroppedMessage, type FoundEntry, InProcessCopies } from './in-process-copies';

/** The 404 a GET handler threw, kept so that later hits throw the same error. */
interface NotFoundResponse {
  type: ApiErrorType;
  code: string;
  message: string;
  param?: string;
  headers: Record<string, string>;
}

type StoredEntry = FoundEntry | { found: false; response?: NotFoundResponse };

/**
 * What a cached GET handler answers: its body as JSON text, serialized once when it was loaded so that hits send
 * the stored bytes without parsing and serializing them again; or, for a body that is not JSON (a stream, a buffer),
 * the body itself, passed on and never stored.
 */
export type ResponseBody = { json: string } | { raw: unknown };

interface Loaded {
  entry: StoredEntry;
  /** False for a body that is passed on but never stored (see ResponseBody). */
  cacheable: boolean;
}

interface FlightOutcome {
  entry: StoredEntry;
  source: 'cache' | 'loader';
}

// The Keyv that @nestjs/cache-manager holds (typed through its ESM declarations, hence not `import { Keyv }`).
type CacheStore = Cache['stores'][number];

/** The channel (under the cache namespace) on which an invalidation of a family with in-process copies names the
 * object's key, so that every process drops its copy. */
const inProcessInvalidatedChannel = 'in-process-invalidated';

function isStoredEntry(value: unknown): value is StoredEntry {
  if (typeof value !== 'object' || value === null) return false;
  const found = (value as { found?: unknown }).found;
  return found === true ? 'value' in value : found === false;
}

/** The JSON text of a handler's object or array body, as Fastify would serialize it; undefined for anything else
 * (a stream, a buffer, a string Fastify would send as text/plain), which is then passed on uncached. */
function jsonTextOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  if (body instanceof StreamableFile || body instanceof Stream || ArrayBuffer.isView(body)) return undefined;
  return JSON.stringify(body);
}

function isResponseBody(value: unknown): value is ResponseBody {
  return (
    typeof value === 'object' && value !== null && ('json' in value ? typeof value.json === 'string' : 'raw' in value)
  );
}

/** The keys of one read: its entry, and the 'data' key of the object it belongs to (its generation's base). */
interface ReadKeys {
  entry: string;
  object: string;
}

/**
 * Read-through cache of hot reads on the cache Redis, keyed `family:merchantId:id`. Concurrent misses of one key
 * in this process load once; "not found" is cached briefly; a cache that is down or slow is skipped after a short
 * deadline, so no caller ever fails or waits long because of it.
 *
 * Never stale after an invalidation, across processes too: every invalidation advances the object's generation
 * in Redis (atomically with deleting its entries), a miss reads the generation before loading, and what was loaded
 * is stored only if the generation has not moved since. So a load that read PostgreSQL before another process
 * committed a change and invalidated cannot put the old row back after that invalidation.
 *
 * A family declared with `inProcess` (API keys, read on every request) is also kept in each process, for at most
 * its `inProcess.ttlMs`. Its invalidations are published on the cache Redis, and every process drops its copy
 * when the message arrives; one that missed it (disconnected at that moment) drops every copy when it reconnects.
 *
 * An invalidation the cache Redis did not confirm (down, cut off, slow) is remembered and made again before this
 * process reads the cache again; see CacheRecovery, which also states the window that remains for other processes.
 */
@Injectable()
export class HotCache implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(HotCache.name);
  private readonly store: CacheStore;
  private readonly redisStore: CacheRedisStore;
  private readonly counters: CacheCounters;
  private readonly flights = new SingleFlight<FlightOutcome>();
  private readonly copies = new InProcessCopies();
  private failureLoggedAtMs = Number.NEGATIVE_INFINITY;
  private readonly invalidatedChannel: string;
  private subscription: CacheSubscription | undefined;
  private readonly recovery: CacheRecovery;

  constructor(
    cache: Cache,
    registry: MetricsRegistry,
    // Absent only where a test builds a HotCache by hand: invalidateAfterCommit needs it.
    @Optional() private readonly database?: Database,
  ) {
    const store = cache.stores[0];
    if (!store) throw new Error('the cache manager has no store');
    if (!(store.store instanceof CacheRedisStore)) throw new Error('the cache store must be a CacheRedisStore');
    this.store = store;
    this.redisStore = store.store;
    this.counters = new CacheCounters(registry);
    this.invalidatedChannel = this.redisStore.channel(inProcessInvalidatedChannel);
    this.recovery = new CacheRecovery(
      this.redisStore,
      this.logger,
      { channel: this.invalidatedChannel, message: everyCopyDroppedMessage },
      () => this.dropEveryCopy(),
    );
    const recovery = this.recovery;
    new Gauge({
      name: 'cache_invalidations_pending',
      help: 'Cache invalidations that failed and wait to be made again (reads skip the cache meanwhile)',
      registers: [registry],
      collect() {
        this.set(recovery.snapshot().pendingInvalidations);
      },
    });
    new Gauge({
      name: 'cache_trusted',
      help: '1 when reads use the cache; 0 while failed invalidations wait to be made again or after a reconnection',
      registers: [registry],
      collect() {
        this.set(recovery.trusted ? 1 : 0);
      },
    });
    const copies = this.copies;
    new Counter({
      name: 'cache_in_process_invalidations_received_total',
      help: 'Invalidations of in-process copies (API key revocations) this process received from the cache Redis',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(copies.messagesReceived);
      },
    });
  }

  /** Listens for invalidations of in-process copies; waits only while the cache Redis answers (a little, at most). */
  async onModuleInit(): Promise<void> {
    this.subscription = await CacheSubscription.open(
      this.redisStore.duplicateClient(`${this.invalidatedChannel}:subscriber`),
      this.invalidatedChannel,
      {
        message: (message) => this.copyInvalidated(message),
        // Invalidations published while this process was away were missed: its copies may be stale ones.
        reconnected: () => this.copies.dropEverything(),
      },
      this.logger,
      { waitForIt: this.redisStore.isReady },
    );
  }

  onApplicationShutdown(): void {
    this.recovery.close();
    this.subscription?.close();
  }

  /**
   * The cached value of `family:merchantId:id`, or what `load` returns (then cached). `null` from `load` means
   * "not found": cached briefly and returned as `null`. An error from `load` reaches every caller waiting on that
   * load and caches nothing.
   */
  async getOrLoad<T>(
    family: CacheFamily,
    merchantId: string,
    id: string,
    load: () => Promise<T | null>,
  ): Promise<T | null> {
    const entry = await this.readThrough(family, this.keysOf(family, merchantId, id, 'data'), async () => {
      const value = await load();
      return {
        entry: value === null || value === undefined ? { found: false } : { found: true, value },
        cacheable: true,
      };
    });
    return entry.found ? (entry.value as T) : null;
  }

  /**
   * The response body of a GET handler, for CachedReads.serve: the cached JSON text, or `handle()`'s body
   * (then cached as JSON text). An ApiError 404 from `handle` is cached briefly and thrown again on later hits;
   * any other error is not cached.
   */
  async getOrLoadResponse(
    family: CacheFamily,
    merchantId: string,
    id: string,
    handle: () => Promise<unknown>,
  ): Promise<ResponseBody> {
    const entry = await this.readThrough(family, this.keysOf(family, merchantId, id, 'response'), async () => {
      try {
        const body = await handle();
        const json = jsonTextOf(body);
        if (json === undefined) return { entry: { found: true, value: { raw: body } }, cacheable: false };
        return { entry: { found: true, value: { json } }, cacheable: true };
      } catch (error) {
        if (!(error instanceof ApiError) || error.status !== 404) throw error;
        const { type, code, message, param, headers } = error;
        return { entry: { found: false, response: { type, code, message, param, headers } }, cacheable: true };
      }
    });
    if (entry.found) {
      // An entry another version of the application stored in an older shape is not sent: it is loaded afresh.
      if (isResponseBody(entry.value)) return entry.value;
      return { raw: await handle() };
    }
    const response = entry.response;
    if (!response) throw new ApiError(404, 'invalid_request_error', 'resource_missing', 'No such resource');
    throw new ApiError(404, response.type, response.code, response.message, response.param, response.headers);
  }

  /**
   * Deletes `family:merchantId:id` (value, "not found" marker and cached response body) from Redis and from this
   * process, and keeps every load already running for it, in any process, from caching what it read; a family with
   * in-process copies has the deletion published, so every process drops its copy. Call it after the commit that
   * changed the row (`invalidateAfterCommit` does). Never throws because of the cache: a failure is logged, counted
   * and remembered, so that this process reads nothing from the cache until it has made it (see CacheRecovery).
   * Answers whether Redis confirmed it: when it did not, other processes may serve the old entry until this
   * process's replay lands or the entry expires.
   */
  async invalidate(family: CacheFamily, merchantId: string, id: string): Promise<boolean> {
    const object = cacheKey(family, merchantId, id);
    const announcement = family.inProcess ? { channel: this.invalidatedChannel, message: object } : undefined;
    return this.invalidateObject(family, object, announcement);
  }

  /**
   * Invalidates `family:merchantId:id` once `tx` commits, before the transaction helper returns (so before the
   * client is answered): nothing when it rolls back. The service that changes a row calls this in the same
   * transaction, so no caller of that service has to remember to.
   */
  invalidateAfterCommit(tx: Tx, family: CacheFamily, merchantId: string, id: string): void {
    if (!this.database) throw new Error('invalidateAfterCommit needs the Database (HotCache built without it)');
    // Validated now, so a bad segment fails the transaction instead of skipping the invalidation after it.
    cacheKey(family, merchantId, id);
    const registered = this.database.afterCommit(tx, async () => {
      await this.invalidate(family, merchantId, id);
    });
    if (!registered) throw new Error('invalidateAfterCommit needs a transaction opened by Database.transaction');
  }

  /** `invalidate` with its keys made; answers whether Redis confirmed it. */
  private async invalidateObject(family: CacheFamily, object: string, announcement?: Announcement): Promise<boolean> {
    const keys = entryKeysOf(object);
    for (const key of keys) {
      this.flights.invalidate(key);
      this.copies.drop(family, key);
    }
    try {
      // One script, one command: it fails at once while disconnected (a MULTI would be queued instead).
      const invalidating = this.redisStore.invalidate(generationKeyOf(object), keys, generationTtlMs, announcement);
      await withDeadline(invalidating, this.redisStore.commandTimeoutMs, 'cache invalidation');
      return true;
    } catch (error) {
      this.counters.add(family, 'errors');
      this.recovery.missed({ family, object, announcement });
      // The key of an in-process family can be a secret's hash (an API key): not logged.
      const what = family.inProcess ? `an entry of ${family.name}` : object;
      this.logger.warn(
        `cache invalidation of ${what} failed, made again before this process reads the cache; other processes ` +
          `may serve it until then: ${errorMessage(error)}`,
      );
      return false;
    }
  }

  /**
   * The value of `family:merchantId:id` when this process holds a copy of it (families with `inProcess`), without
   * waiting: undefined when it must be read through `getOrLoad`. A hit is counted like any other.
   */
  peekInProcess(family: CacheFamily, merchantId: string, id: string): unknown {
    const copy = this.copies.get(family, cacheKey(family, merchantId, id));
    if (!copy) return undefined;
    this.counters.add(family, 'hits');
    return copy.value;
  }

  /** Invalidation messages of in-process copies received since start, and whether they reach this process now. */
  inProcessInvalidationsSnapshot(): { received: number; listening: boolean } {
    return { received: this.copies.messagesReceived, listening: this.subscription?.live ?? false };
  }

  /** Failed invalidations waiting to be made again, and whether reads use the cache now. */
  recoverySnapshot(): RecoverySnapshot {
    return this.recovery.snapshot();
  }

  /** Counts of `family` since start: the same numbers as its cache_*_total Prometheus counters. */
  snapshot(family: CacheFamily): CacheFamilyCounts {
    return this.counters.snapshot(family);
  }

  /** Another process invalidated an object with in-process copies: this process's copy goes, and loads running
   * now are not kept (they may have read it before the invalidation). */
  private copyInvalidated(message: string): void {
    const named = this.copies.received(message);
    if (named === 'everything') {
      this.dropEveryCopy();
      return;
    }
    if (!named) return;
    for (const key of entryKeysOf(named.object)) {
      this.flights.invalidate(key);
      this.copies.drop(named.family, key);
    }
  }

  /** Every entry of the cache was dropped: so are this process's copies, and loads running now are not kept. */
  private dropEveryCopy(): void {
    this.flights.invalidateAll();
    this.copies.dropEverything();
  }

  /** Validates the segments once; the generation key is derived only when a miss needs it. */
  private keysOf(family: CacheFamily, merchantId: string, id: string, view: CacheView): ReadKeys {
    const object = cacheKey(family, merchantId, id);
    return { entry: viewKey(object, view), object };
  }

  private async readThrough(family: CacheFamily, keys: ReadKeys, load: () => Promise<Loaded>): Promise<StoredEntry> {
    if (family.inProcess) {
      const copy = this.copies.get(family, keys.entry);
      if (copy) {
        this.counters.add(family, 'hits');
        return copy;
      }
    }
    const { result, joined } = this.flights.run(keys.entry, (flight) => this.readOrLoad(family, keys, load, flight));
    const { entry, source } = await result;
    if (joined) this.counters.add(family, source === 'cache' ? 'hits' : 'coalescedLoads');
    return entry;
  }

  private async readOrLoad(
    family: CacheFamily,
    keys: ReadKeys,
    load: () => Promise<Loaded>,
    flight: Flight,
  ): Promise<FlightOutcome> {
    // The object's generation before loading (and its key); undefined when the cache did not answer or is skipped.
    let generation: { key: string; value: Generation } | undefined;
    // A boolean on the hot path: the cache is consulted about its recovery only while it is not trusted.
    const verdict = this.recovery.trusted ? undefined : await this.recovery.beforeRead();
    if (verdict?.use === 'loader') {
      if (verdict.failure !== undefined) this.failed(family, 'read', verdict.failure);
    } else {
      try {
        const cached: unknown = await withDeadline(this.store.get(keys.entry), this.redisStore.commandTimeoutMs, 'cache read');
        if (isStoredEntry(cached)) {
          this.counters.add(family, 'hits');
          this.keepLocally(family, keys.entry, cached, flight);
          return { entry: cached, source: 'cache' };
        }
        this.counters.add(family, 'misses');
        const generationKey = generationKeyOf(keys.object);
        const value = await withDeadline(
          this.redisStore.generation(generationKey),
          this.redisStore.commandTimeoutMs,
          'cache generation read',
        );
        generation = { key: generationKey, value };
      } catch (error) {
        this.failed(family, 'read', error);
      }
    }
    const loadStartedMs = performance.now();
    const { entry, cacheable } = await load();
    const loadTookMs = performance.now() - loadStartedMs;
    // After a failed read the write would fail or wait the same way; after an invalidation it could be stale.
    if (generation !== undefined && cacheable && !flight.invalidated && loadTookMs < cacheWriteBackWindowMs) {
      try {
        const ttlMs = entryTtlMs(family, entry.found);
        const serialized = await this.store.serializeData({ value: entry, expires: Date.now() + ttlMs });
        if (typeof serialized !== 'string') throw new Error('the cache serializer did not return a string');
        const storing = this.redisStore.setUnlessInvalidated(
          keys.entry,
          serialized,
          ttlMs,
          generation.key,
          generation.value,
        );
        await withDeadline(storing, this.redisStore.commandTimeoutMs, 'cache write');
      } catch (error) {
        this.failed(family, 'write', error);
      }
    }
    if (cacheable) this.keepLocally(family, keys.entry, entry, flight);
    return { entry, source: 'loader' };
  }

  /** Found entries of a family with in-process copies are also kept in this process, briefly. */
  private keepLocally(family: CacheFamily, key: string, entry: StoredEntry, flight: Flight): void {
    if (family.inProcess && entry.found && !flight.invalidated) this.copies.keep(family, key, entry);
  }

  private failed(family: CacheFamily, operation: 'read' | 'write', error: unknown): void {
    this.counters.add(family, 'errors');
    const nowMs = Date.now();
    if (nowMs - this.failureLoggedAtMs < cacheFailureLogIntervalMs) return;
    this.failureLoggedAtMs = nowMs;
    this.logger.warn(
      `cache ${operation} failed, served from the loader (later failures for ${cacheFailureLogIntervalMs} ms ` +
        `are only counted in cache_errors_total): ${errorMessage(error)}`,
    );
  }
}
