import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Cache } from '@nestjs/cache-manager';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { cacheKey, generationKeyOf } from '../src/caching/cache-key';
import { connectCacheStore } from '../src/caching/cache-store';
import {
  cacheCommandTimeoutMs,
  generationTtlMs,
  notFoundTtlMs,
  ttlJitterRatio,
} from '../src/caching/caching.limits';
import { HotCache } from '../src/caching/hot-cache.service';
import { apiKeyCache, apiKeyCacheScope } from '../src/merchants/api-key-cache';
import { balanceCache } from '../src/ledger/balance-cache';
import { paymentCache } from '../src/payments/payment-cache';
import { refundCache } from '../src/refunds/refund-cache';
import { CachingModule } from '../src/caching/caching.module';
import { MetricsRegistry } from '../src/metrics/metrics-registry';
import { newId } from '../src/common/ids';
import { CachingGate, cachingProbe, CachingProbeModule, CachingProbeState } from './support/caching-probe.module';
import { ThrowawayRedis } from './support/caching-redis-server';
import { startTestApp, type TestApp } from './support/test-app';

// A read that falls back to its loader finishes within a few command deadlines, never hangs on the cache. With
// nothing listening (closed port, stopped server) commands fail at once, well within one deadline.
const fallbackBoundMs = cacheCommandTimeoutMs * 3;

/** The command deadline of the tests against a healthy Redis: far above any CPU stall of a loaded machine. */
const healthyRedisDeadlineMs = 5_000;

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, deadlineMs = 10_000) {
  const deadline = performance.now() + deadlineMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; elapsedMs: number }> {
  const started = performance.now();
  const value = await work();
  return { value, elapsedMs: performance.now() - started };
}

/**
 * Runs `attempt` (self-contained: fresh ids, fresh loader) until no cache command of `family` failed during it, at
 * most 5 times. On a loaded machine a healthy Redis's reply can be read after the 100 ms command deadline (a timer
 * that expired during a CPU stall fires before the pending reply is read); the cache then counts an error and
 * falls back to its loader, as designed. Exact counts of hits and loads are asserted on an attempt without such a
 * skip; a cache that never serves fails every attempt.
 */
async function withoutCommandTimeouts<T>(cache: HotCache, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries += 1) {
    const errorsBefore = cache.snapshot(paymentCache).errors;
    const outcome = await attempt();
    if (cache.snapshot(paymentCache).errors === errorsBefore || tries === 5) return outcome;
  }
}

/** A loader over a map that counts its calls per id, like a repository lookup. */
function countingLoader<T>() {
  const rows = new Map<string, T>();
  const calls = new Map<string, number>();
  return {
    rows,
    calls: (id: string) => calls.get(id) ?? 0,
    total: () => [...calls.values()].reduce((sum, count) => sum + count, 0),
    load: (id: string) => async (): Promise<T | null> => {
      calls.set(id, (calls.get(id) ?? 0) + 1);
      await Promise.resolve();
      return rows.get(id) ?? null;
    },
  };
}

function merchant(): string {
  return newId('mer');
}

function get(subject: TestApp, url: string, merchantId?: string) {
  return subject.inject({ method: 'GET', url, headers: merchantId ? { 'x-merchant-id': merchantId } : {} });
}

describe('the hot-read cache on the real Redis', () => {
  let subject: TestApp;
  let cache: HotCache;
  let redis: Redis;
  let namespace: string;

  beforeAll(async () => {
    // Exact counts of hits and loads below assume every command of a healthy Redis is answered in time: on a loaded
    // CI machine a stall past the default 100 ms deadline would send a read to its loader (by design, and counted).
    // The deadline itself is tested in the describes below, on servers that hang or stop.
    subject = await startTestApp(
      { CACHE_COMMAND_TIMEOUT_MS: String(healthyRedisDeadlineMs) },
      { imports: [CachingModule, CachingProbeModule] },
    );
    cache = subject.app.get(HotCache);
    namespace = `${subject.config.redis.queuePrefix}:cache:`;
    redis = new Redis(subject.config.redis.cacheUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });

  beforeEach(() => {
    cachingProbe.state = new CachingProbeState();
  });

  afterAll(async () => {
    await subject.close();
    const keys = await redis.keys(`${namespace}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('connects to Redis under its own client name and closes the connection with the application', async () => {
    const connectionsNamed = async (name: string) =>
      String(await redis.call('CLIENT', 'LIST'))
        .split('\n')
        .filter((line) => line.includes(` name=${name} `));
    expect(await connectionsNamed(`${subject.config.redis.queuePrefix}:cache`)).toHaveLength(1);
    const other = await startTestApp({}, { imports: [CachingModule] });
    const otherName = `${other.config.redis.queuePrefix}:cache`;
    expect(await connectionsNamed(otherName)).toHaveLength(1);
    await other.close();
    await waitFor(
      async () => (await connectionsNamed(otherName)).length === 0,
      'the closed application to drop its cache connection',
    );
  });

  describe('HotCache.getOrLoad', () => {
    it('never serves one merchant the entry of another, for the same id', async () => {
      const loader = countingLoader<{ owner: string }>();
      const [merchantA, merchantB] = [merchant(), merchant()];
      const id = newId('pay');
      const loadAs = (merchantId: string) => async () => {
        await loader.load(merchantId)();
        return { owner: merchantId };
      };
      for (let round = 0; round < 3; round += 1) {
        expect(await cache.getOrLoad(paymentCache, merchantA, id, loadAs(merchantA))).toEqual({ owner: merchantA });
        expect(await cache.getOrLoad(paymentCache, merchantB, id, loadAs(merchantB))).toEqual({ owner: merchantB });
      }
      expect(loader.calls(merchantA)).toBe(1);
      expect(loader.calls(merchantB)).toBe(1);
      const keys = (await redis.keys(`${namespace}payment:*:${id}`)).sort();
      expect(keys).toEqual([`${namespace}payment:${merchantA}:${id}`, `${namespace}payment:${merchantB}:${id}`].sort());
    });

    it('calls the loader once for 200 concurrent reads of one cold key', async () => {
      const { results, calls, before, after } = await withoutCommandTimeouts(cache, async () => {
        const loader = countingLoader<{ amount: number }>();
        const [merchantId, id] = [merchant(), newId('pay')];
        loader.rows.set(id, { amount: 1250 });
        const before = cache.snapshot(paymentCache);
        const results = await Promise.all(
          Array.from({ length: 200 }, () => cache.getOrLoad(paymentCache, merchantId, id, loader.load(id))),
        );
        return { results, calls: loader.calls(id), before, after: cache.snapshot(paymentCache) };
      });
      expect(results).toEqual(Array(200).fill({ amount: 1250 }));
      expect(calls).toBe(1);
      expect(after.misses - before.misses).toBe(1);
      expect(after.coalescedLoads - before.coalescedLoads).toBe(199);
      expect(after.errors).toBe(before.errors);
    });

    it('serves 200 concurrent reads of one warm key from one cache read', async () => {
      const { calls, hits, errors } = await withoutCommandTimeouts(cache, async () => {
        const loader = countingLoader<{ amount: number }>();
        const [merchantId, id] = [merchant(), newId('pay')];
        loader.rows.set(id, { amount: 7 });
        const before = cache.snapshot(paymentCache);
        await cache.getOrLoad(paymentCache, merchantId, id, loader.load(id));
        const warm = cache.snapshot(paymentCache);
        await Promise.all(
          Array.from({ length: 200 }, () => cache.getOrLoad(paymentCache, merchantId, id, loader.load(id))),
        );
        const after = cache.snapshot(paymentCache);
        return { calls: loader.calls(id), hits: after.hits - warm.hits, errors: after.errors - before.errors };
      });
      expect(errors).toBe(0);
      expect(calls).toBe(1);
      expect(hits).toBe(200);
    });

    it('calls the loader once per unknown id, not once per request, and answers null', async () => {
      const loader = countingLoader<object>();
      const merchantId = merchant();
      const unknownIds = Array.from({ length: 50 }, () => newId('pay'));
      for (let round = 0; round < 4; round += 1) {
        const results = await Promise.all(
          unknownIds.map((id) => cache.getOrLoad(paymentCache, merchantId, id, loader.load(id))),
        );
        expect(results).toEqual(Array(50).fill(null));
      }
      expect(loader.total()).toBe(50);
      for (const id of unknownIds) expect(loader.calls(id)).toBe(1);
    });

    it('keeps "not found" markers briefly and values for the family TTL, both jittered', async () => {
      const loader = countingLoader<{ n: number }>();
      const merchantId = merchant();
      const found = Array.from({ length: 30 }, (_, n) => {
        const id = newId('pay');
        loader.rows.set(id, { n });
        return id;
      });
      const missing = Array.from({ length: 30 }, () => newId('pay'));
      await Promise.all(
        [...found, ...missing].map((id) => cache.getOrLoad(paymentCache, merchantId, id, loader.load(id))),
      );
      const ttlsOf = (ids: string[]) =>
        Promise.all(ids.map((id) => redis.pttl(`${namespace}${cacheKey(paymentCache, merchantId, id)}`)));
      const foundTtls = await ttlsOf(found);
      const missingTtls = await ttlsOf(missing);
      for (const ttl of foundTtls) {
        expect(ttl).toBeLessThanOrEqual(paymentCache.ttlMs);
        expect(ttl).toBeGreaterThan(paymentCache.ttlMs * (1 - ttlJitterRatio) - 5_000);
      }
      for (const ttl of missingTtls) {
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(notFoundTtlMs);
      }
      // Written in the same instant, they still expire at different times.
      expect(new Set(foundTtls).size).toBeGreaterThan(10);
      expect(new Set(missingTtls).size).toBeGreaterThan(10);
    });

    it('reads fresh after invalidate, for a changed value and for an id that now exists', async () => {
      const loader = countingLoader<{ status: string }>();
      const [merchantId, id, laterId] = [merchant(), newId('pay'), newId('pay')];
      loader.rows.set(id, { status: 'processing' });
      expect(await cache.getOrLoad(paymentCache, merchantId, id, loader.load(id))).toEqual({ status: 'processing' });
      loader.rows.set(id, { status: 'succeeded' });
      expect(await cache.getOrLoad(paymentCache, merchantId, id, loader.load(id))).toEqual({ status: 'processing' });
      await cache.invalidate(paymentCache, merchantId, id);
      expect(await cache.getOrLoad(paymentCache, merchantId, id, loader.load(id))).toEqual({ status: 'succeeded' });
      expect(loader.calls(id)).toBe(2);

      expect(await cache.getOrLoad(paymentCache, merchantId, laterId, loader.load(laterId))).toBeNull();
      loader.rows.set(laterId, { status: 'processing' });
      expect(await cache.getOrLoad(paymentCache, merchantId, laterId, loader.load(laterId))).toBeNull();
      await cache.invalidate(paymentCache, merchantId, laterId);
      expect(await cache.getOrLoad(paymentCache, merchantId, laterId, loader.load(laterId))).toEqual({
        status: 'processing',
      });
      expect(await redis.exists(`${namespace}${cacheKey(paymentCache, merchantId, laterId)}`)).toBe(1);
    });

    it('does not cache what a load read before an invalidation that happened while it ran', async () => {
      const [merchantId, id] = [merchant(), newId('pay')];
      const gate = new CachingGate();
      let loads = 0;
      let loadStarted!: () => void;
      const started = new Promise<void>((resolve) => (loadStarted = resolve));
      const staleRead = cache.getOrLoad(paymentCache, merchantId, id, async () => {
        loads += 1;
        loadStarted();
        await gate.opened;
        return { status: 'processing' };
      });
      await started;
      await cache.invalidate(paymentCache, merchantId, id);
      gate.open();
      expect(await staleRead).toEqual({ status: 'processing' });
      const fresh = await cache.getOrLoad(paymentCache, merchantId, id, () => {
        loads += 1;
        return Promise.resolve({ status: 'succeeded' });
      });
      expect(fresh).toEqual({ status: 'succeeded' });
      expect(loads).toBe(2);
    });

    it('gives every concurrent caller the loader error, caches nothing, and loads again next time', async () => {
      const [merchantId, id] = [merchant(), newId('pay')];
      let loads = 0;
      const failing = async () => {
        loads += 1;
        await Promise.resolve();
        throw new Error('database unavailable');
      };
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, () => cache.getOrLoad(paymentCache, merchantId, id, failing)),
      );
      expect(outcomes.every((outcome) => outcome.status === 'rejected')).toBe(true);
      expect(loads).toBe(1);
      expect(await cache.getOrLoad(paymentCache, merchantId, id, () => Promise.resolve({ ok: true }))).toEqual({
        ok: true,
      });
    });
  });

  describe('two processes on one cache Redis', () => {
    // A second HotCache on the same Redis and namespace: another process of the same deployment.
    let otherProcess: HotCache;
    let otherStore: Awaited<ReturnType<typeof connectCacheStore>>;

    beforeAll(async () => {
      const { cacheUrl, queuePrefix, cacheCommandTimeoutMs: deadlineMs } = subject.config.redis;
      otherStore = await connectCacheStore(cacheUrl, queuePrefix, new Logger('OtherProcess'), deadlineMs);
      otherProcess = new HotCache({ stores: [otherStore] } as unknown as Cache, new MetricsRegistry());
    });

    afterAll(async () => {
      await otherStore.disconnect();
    });

    /** A load through `cache` that reads `row()` at once, then waits for the test before it returns what it read. */
    function heldLoad<T>(merchantId: string, id: string, row: () => T | null) {
      const gate = new CachingGate();
      let signalRead: () => void = () => undefined;
      const hasRead = new Promise<void>((resolve) => (signalRead = resolve));
      const result = cache.getOrLoad(paymentCache, merchantId, id, async () => {
        const read = row();
        signalRead();
        await gate.opened;
        return read;
      });
      return { hasRead, release: () => gate.open(), result };
    }

    it('does not cache a row read before another process committed a change and invalidated it', async () => {
      const [merchantId, id] = [merchant(), newId('pay')];
      let row = { status: 'processing', amount_refunded: 0 };
      const load = heldLoad(merchantId, id, () => row);
      await load.hasRead;
      // The other process commits (refunds the payment), then invalidates, while this process's load is running.
      row = { status: 'succeeded', amount_refunded: 500 };
      await otherProcess.invalidate(paymentCache, merchantId, id);
      load.release();
      expect(await load.result).toEqual({ status: 'processing', amount_refunded: 0 });
      const afterwards = async () => Promise.resolve(row);
      expect(await otherProcess.getOrLoad(paymentCache, merchantId, id, afterwards)).toEqual(row);
      expect(await cache.getOrLoad(paymentCache, merchantId, id, afterwards)).toEqual(row);
    });

    it('does not cache a "not found" read before another process created the row', async () => {
      const [merchantId, id] = [merchant(), newId('pay')];
      let row: { status: string } | null = null;
      const load = heldLoad(merchantId, id, () => row);
      await load.hasRead;
      row = { status: 'processing' };
      await otherProcess.invalidate(paymentCache, merchantId, id);
      load.release();
      expect(await load.result).toBeNull();
      expect(await cache.getOrLoad(paymentCache, merchantId, id, () => Promise.resolve(row))).toEqual(row);
    });

    it('caches what a load read when nothing was invalidated meanwhile, for every process', async () => {
      const [merchantId, id] = [merchant(), newId('pay')];
      const load = heldLoad(merchantId, id, () => ({ status: 'succeeded' }));
      await load.hasRead;
      load.release();
      await load.result;
      const notExpected = () => Promise.reject(new Error('the entry should have been cached'));
      expect(await otherProcess.getOrLoad(paymentCache, merchantId, id, notExpected)).toEqual({ status: 'succeeded' });
    });

    it('keeps the generation of an invalidated object for a bounded time', async () => {
      const [merchantId, id] = [merchant(), newId('pay')];
      const key = `${namespace}${generationKeyOf(cacheKey(paymentCache, merchantId, id))}`;
      expect(await redis.exists(key)).toBe(0);
      await otherProcess.invalidate(paymentCache, merchantId, id);
      await cache.invalidate(paymentCache, merchantId, id);
      expect(await redis.get(key)).toBe('2');
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(generationTtlMs);
    });
  });

  describe('API keys', () => {
    const keyHash = () => randomBytes(32).toString('hex');

    it('keeps found keys in this process in front of Redis, and invalidateApiKey clears both', async () => {
      const hash = keyHash();
      const redisKey = `${namespace}${cacheKey(apiKeyCache, apiKeyCacheScope, hash)}`;
      let loads = 0;
      const load = () => {
        loads += 1;
        return Promise.resolve({ merchantId: 'mer_owner' });
      };
      expect(await cache.getOrLoad(apiKeyCache, apiKeyCacheScope, hash, load)).toEqual({ merchantId: 'mer_owner' });
      expect(await redis.exists(redisKey)).toBe(1);
      // Gone from Redis, yet still served: the in-process layer answers.
      await redis.del(redisKey);
      expect(await cache.getOrLoad(apiKeyCache, apiKeyCacheScope, hash, load)).toEqual({ merchantId: 'mer_owner' });
      expect(loads).toBe(1);

      await cache.getOrLoad(apiKeyCache, apiKeyCacheScope, hash, load);
      await cache.invalidate(apiKeyCache, apiKeyCacheScope, hash);
      expect(await redis.exists(redisKey)).toBe(0);
      expect(await cache.getOrLoad(apiKeyCache, apiKeyCacheScope, hash, () => Promise.resolve(null))).toBeNull();
      expect(loads).toBe(1);
    });

    it('caches an unknown key hash as not found in Redis only', async () => {
      const hash = keyHash();
      let loads = 0;
      const load = () => {
        loads += 1;
        return Promise.resolve(null);
      };
      for (let attempt = 0; attempt < 5; attempt += 1) {
        expect(await cache.getOrLoad(apiKeyCache, apiKeyCacheScope, hash, load)).toBeNull();
      }
      expect(loads).toBe(1);
      await redis.del(`${namespace}${cacheKey(apiKeyCache, apiKeyCacheScope, hash)}`);
      expect(await cache.getOrLoad(apiKeyCache, apiKeyCacheScope, hash, load)).toBeNull();
      expect(loads).toBe(2);
    });
  });

  describe('@CachedRead on GET handlers', () => {
    it('runs the handler once, then serves the cached body to that merchant', async () => {
      const [merchantId, id] = [merchant(), newId('pay')];
      cachingProbe.state.payments.set(`${merchantId}:${id}`, { id, amount: 100, merchant: merchantId });
      for (let request = 0; request < 5; request += 1) {
        const response = await get(subject, `/caching-probe/payments/${id}`, merchantId);
        expect(response.statusCode).toBe(200);
        expect(response.json()).toEqual({ id, amount: 100, merchant: merchantId });
      }
      expect(cachingProbe.state.handlerCalls('payment', merchantId, id)).toBe(1);
    });

    it('sends a hit as the stored JSON text, byte for byte the body of the miss, typed as JSON', async () => {
      const [merchantId, id] = [merchant(), newId('pay')];
      const body = {
        id,
        amount: 1099,
        currency: 'usd',
        note: 'quotes " and \\ and é survive',
        nested: { list: [1, null] },
      };
      cachingProbe.state.payments.set(`${merchantId}:${id}`, body);
      const miss = await get(subject, `/caching-probe/payments/${id}`, merchantId);
      const hit = await get(subject, `/caching-probe/payments/${id}`, merchantId);
      expect(cachingProbe.state.handlerCalls('payment', merchantId, id)).toBe(1);
      for (const response of [miss, hit]) {
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(response.json()).toEqual(body);
      }
      expect(hit.body).toBe(miss.body);
      expect(hit.body).toBe(JSON.stringify(body));
    });

    it('passes a body that is not JSON on as it is, never cached', async () => {
      const [merchantId, id] = [merchant(), newId('pay')];
      for (let request = 0; request < 3; request += 1) {
        const response = await get(subject, `/caching-probe/bytes/${id}`, merchantId);
        expect(response.statusCode).toBe(200);
        expect(response.headers['content-type']).toBe('application/octet-stream');
        expect(response.body).toBe(`bytes of ${id}`);
      }
      expect(cachingProbe.state.handlerCalls('bytes', merchantId, id)).toBe(3);
      expect(await redis.exists(`${namespace}${cacheKey(paymentCache, merchantId, id, 'response')}`)).toBe(0);
    });

    it("never serves merchant A's cached body to merchant B", async () => {
      const [merchantA, merchantB, id] = [merchant(), merchant(), newId('pay')];
      cachingProbe.state.payments.set(`${merchantA}:${id}`, { id, merchant: merchantA });
      expect((await get(subject, `/caching-probe/payments/${id}`, merchantA)).json()).toEqual({
        id,
        merchant: merchantA,
      });
      for (let request = 0; request < 3; request += 1) {
        const asB = await get(subject, `/caching-probe/payments/${id}`, merchantB);
        expect(asB.statusCode).toBe(404);
        expect(asB.body).not.toContain(merchantA);
      }
      cachingProbe.state.payments.set(`${merchantB}:${id}`, { id, merchant: merchantB });
      await cache.invalidate(paymentCache, merchantB, id);
      expect((await get(subject, `/caching-probe/payments/${id}`, merchantB)).json()).toEqual({
        id,
        merchant: merchantB,
      });
      expect((await get(subject, `/caching-probe/payments/${id}`, merchantA)).json()).toEqual({
        id,
        merchant: merchantA,
      });
      expect(cachingProbe.state.handlerCalls('payment', merchantA, id)).toBe(1);
      expect(cachingProbe.state.handlerCalls('payment', merchantB, id)).toBe(2);
    });

    it('runs the handler once for 200 concurrent requests of one cold key', async () => {
      const [merchantId, id] = [merchant(), newId('pay')];
      cachingProbe.state.payments.set(`${merchantId}:${id}`, { id, amount: 5 });
      const gate = new CachingGate();
      cachingProbe.state.gate = gate;
      const before = cache.snapshot(paymentCache);
      const responses = Promise.all(
        Array.from({ length: 200 }, () => get(subject, `/caching-probe/payments/${id}`, merchantId)),
      );
      // All 200 have reached serve (and so joined the key's load) while the one handler run is held at the gate.
      await waitFor(
        () => cachingProbe.state.arrivals === 200 && cachingProbe.state.handlerCalls('payment', merchantId, id) === 1,
        'all 200 requests in flight',
      );
      gate.open();
      for (const response of await responses) {
        expect(response.statusCode).toBe(200);
        expect(response.json()).toEqual({ id, amount: 5 });
      }
      expect(cachingProbe.state.handlerCalls('payment', merchantId, id)).toBe(1);
      const after = cache.snapshot(paymentCache);
      expect(after.misses - before.misses).toBe(1);
      expect(after.coalescedLoads - before.coalescedLoads).toBe(199);
    });

    it('answers unknown ids with the same 404, running the handler once per id', async () => {
      const merchantId = merchant();
      const unknownIds = Array.from({ length: 20 }, () => newId('pay'));
      const firstBodies = new Map<string, string>();
      for (let round = 0; round < 3; round += 1) {
        for (const id of unknownIds) {
          const response = await get(subject, `/caching-probe/payments/${id}`, merchantId);
          expect(response.statusCode).toBe(404);
          expect(response.json()).toEqual({
            error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such payment: '${id}'` },
          });
          expect(response.body).toBe(firstBodies.get(id) ?? response.body);
          firstBodies.set(id, response.body);
        }
      }
      expect(cachingProbe.state.totalHandlerCalls('payment')).toBe(20);
      const ttl = await redis.pttl(`${namespace}${cacheKey(paymentCache, merchantId, unknownIds[0]!, 'response')}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(notFoundTtlMs);
    });

    it('serves the fresh body after invalidate', async () => {
      const [merchantId, id] = [merchant(), newId('pay')];
      cachingProbe.state.payments.set(`${merchantId}:${id}`, { id, status: 'processing' });
      expect((await get(subject, `/caching-probe/payments/${id}`, merchantId)).json()).toEqual({
        id,
        status: 'processing',
      });
      cachingProbe.state.payments.set(`${merchantId}:${id}`, { id, status: 'succeeded' });
      expect((await get(subject, `/caching-probe/payments/${id}`, merchantId)).json()).toMatchObject({
        status: 'processing',
      });
      await cache.invalidate(paymentCache, merchantId, id);
      expect((await get(subject, `/caching-probe/payments/${id}`, merchantId)).json()).toMatchObject({
        status: 'succeeded',
      });
    });

    it("caches a route without :id as the merchant's 'current' entry", async () => {
      const [merchantA, merchantB] = [merchant(), merchant()];
      cachingProbe.state.balances.set(merchantA, 100);
      cachingProbe.state.balances.set(merchantB, 200);
      expect((await get(subject, '/caching-probe/balance', merchantA)).json()).toEqual({
        merchant: merchantA,
        available: 100,
      });
      expect((await get(subject, '/caching-probe/balance', merchantB)).json()).toEqual({
        merchant: merchantB,
        available: 200,
      });
      cachingProbe.state.balances.set(merchantA, 150);
      expect((await get(subject, '/caching-probe/balance', merchantA)).json()).toMatchObject({ available: 100 });
      await cache.invalidate(balanceCache, merchantA, 'current');
      expect((await get(subject, '/caching-probe/balance', merchantA)).json()).toMatchObject({ available: 150 });
      expect(await redis.exists(`${namespace}${cacheKey(balanceCache, merchantB, 'current', 'response')}`)).toBe(1);
      expect(cachingProbe.state.handlerCalls('balance', merchantA, 'current')).toBe(2);
    });

    it('serves an id that cannot be a cache key from its loader, uncached', async () => {
      const merchantId = merchant();
      for (const id of ['pay%3A1', 'pay%201', 'pay%0A1']) {
        for (let request = 0; request < 2; request += 1) {
          expect((await get(subject, `/caching-probe/payments/${id}`, merchantId)).statusCode).toBe(404);
        }
      }
      expect(cachingProbe.state.totalHandlerCalls('payment')).toBe(6);
    });

    it('never caches an error other than 404', async () => {
      const [merchantId, id] = [merchant(), newId('pay')];
      for (const status of ['400', '500', '400', '500']) {
        const response = await get(subject, `/caching-probe/failing/${id}?status=${status}`, merchantId);
        expect(response.statusCode).toBe(Number(status));
      }
      expect(cachingProbe.state.handlerCalls('failing', merchantId, id)).toBe(4);
      expect(await redis.exists(`${namespace}${cacheKey(paymentCache, merchantId, id, 'response')}`)).toBe(0);
    });

    it('keeps response bodies apart from values cached by getOrLoad for the same id', async () => {
      const [merchantId, id] = [merchant(), newId('pay')];
      await cache.getOrLoad(paymentCache, merchantId, id, () => Promise.resolve({ internal: 'row with vault token' }));
      cachingProbe.state.payments.set(`${merchantId}:${id}`, { id, public: true });
      expect((await get(subject, `/caching-probe/payments/${id}`, merchantId)).json()).toEqual({ id, public: true });
      await cache.invalidate(paymentCache, merchantId, id);
      expect(await redis.exists(`${namespace}${cacheKey(paymentCache, merchantId, id)}`)).toBe(0);
      expect(await redis.exists(`${namespace}${cacheKey(paymentCache, merchantId, id, 'response')}`)).toBe(0);
    });
  });

  it('exposes hits, misses, errors and coalesced loads per family as Prometheus counters', async () => {
    const [merchantId, id] = [merchant(), newId('re')];
    await cache.getOrLoad(refundCache, merchantId, id, () => Promise.resolve({ amount: 1 }));
    await cache.getOrLoad(refundCache, merchantId, id, () => Promise.resolve({ amount: 1 }));
    const text = await subject.app.get(MetricsRegistry).metrics();
    const refund = cache.snapshot(refundCache);
    expect(text).toContain(`cache_hits_total{family="refund"} ${refund.hits}`);
    expect(text).toContain(`cache_misses_total{family="refund"} ${refund.misses}`);
    expect(text).toContain(`cache_errors_total{family="refund"} 0`);
    expect(text).toContain(
      `cache_coalesced_loads_total{family="payment"} ${cache.snapshot(paymentCache).coalescedLoads}`,
    );
    // Every family a feature declared has its series from the start, used or not.
    expect(text).toContain(`cache_hits_total{family="balance"} `);
    expect(refund).toEqual({ hits: 1, misses: 1, errors: 0, coalescedLoads: 0 });
  });
});

describe('the hot-read cache with its Redis unreachable', () => {
  let subject: TestApp;
  let cache: HotCache;

  beforeAll(async () => {
    // Port 1 on loopback: nothing listens there, so every cache command fails while PostgreSQL and the queue answer.
    subject = await startTestApp(
      { CACHE_REDIS_URL: 'redis://127.0.0.1:1' },
      { imports: [CachingModule, CachingProbeModule] },
    );
    cache = subject.app.get(HotCache);
  });

  beforeEach(() => {
    cachingProbe.state = new CachingProbeState();
  });

  afterAll(async () => {
    await subject.close();
  });

  it('answers every read from the loader, quickly, and counts the errors', async () => {
    const loader = countingLoader<{ amount: number }>();
    const [merchantId, id] = [merchant(), newId('pay')];
    loader.rows.set(id, { amount: 42 });
    const before = cache.snapshot(paymentCache).errors;
    for (let read = 0; read < 5; read += 1) {
      const { value, elapsedMs } = await timed(() => cache.getOrLoad(paymentCache, merchantId, id, loader.load(id)));
      expect(value).toEqual({ amount: 42 });
      expect(elapsedMs).toBeLessThan(cacheCommandTimeoutMs);
    }
    expect(loader.calls(id)).toBe(5);
    expect(cache.snapshot(paymentCache).errors - before).toBe(5);
  });

  it('still loads once for 200 concurrent reads of one key', async () => {
    const loader = countingLoader<{ amount: number }>();
    const [merchantId, id] = [merchant(), newId('pay')];
    loader.rows.set(id, { amount: 9 });
    const { value, elapsedMs } = await timed(() =>
      Promise.all(Array.from({ length: 200 }, () => cache.getOrLoad(paymentCache, merchantId, id, loader.load(id)))),
    );
    expect(value).toEqual(Array(200).fill({ amount: 9 }));
    expect(loader.calls(id)).toBe(1);
    expect(elapsedMs).toBeLessThan(cacheCommandTimeoutMs);
  });

  it('serves @CachedRead routes from their handler', async () => {
    const [merchantId, id] = [merchant(), newId('pay')];
    cachingProbe.state.payments.set(`${merchantId}:${id}`, { id });
    for (let request = 0; request < 3; request += 1) {
      const { value: response, elapsedMs } = await timed(() =>
        get(subject, `/caching-probe/payments/${id}`, merchantId),
      );
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ id });
      expect(elapsedMs).toBeLessThan(cacheCommandTimeoutMs);
    }
    expect(cachingProbe.state.handlerCalls('payment', merchantId, id)).toBe(3);
  });

  it('lets invalidate succeed quietly, with a warning and a counted error', async () => {
    // Observed on Nest's Logger: nestjs-pino keeps one root logger per process, the first test app's, so this
    // app's own LogCapture does not see lines logged outside a request.
    const warn = jest.spyOn(Logger.prototype, 'warn');
    try {
      const merchantId = merchant();
      const before = cache.snapshot(balanceCache).errors;
      const { elapsedMs } = await timed(() => cache.invalidate(balanceCache, merchantId, 'current'));
      expect(elapsedMs).toBeLessThan(cacheCommandTimeoutMs);
      expect(cache.snapshot(balanceCache).errors - before).toBe(1);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining(`cache invalidation of balance:${merchantId}:current`));
    } finally {
      warn.mockRestore();
    }
  });
});

describe('the hot-read cache when its Redis hangs, stops and comes back', () => {
  let server: ThrowawayRedis;
  let subject: TestApp;
  let cache: HotCache;
  const loader = countingLoader<{ amount: number }>();
  const merchantId = merchant();
  const id = newId('pay');

  beforeAll(async () => {
    server = await ThrowawayRedis.start();
    subject = await startTestApp({ CACHE_REDIS_URL: server.url }, { imports: [CachingModule] });
    cache = subject.app.get(HotCache);
    loader.rows.set(id, { amount: 1 });
  });

  afterAll(async () => {
    await subject.close();
    await server.stop();
  });

  it('serves from the cache while Redis answers', async () => {
    const { calls, hits, misses, errors } = await withoutCommandTimeouts(cache, async () => {
      const before = cache.snapshot(paymentCache);
      const warmId = newId('pay');
      loader.rows.set(warmId, { amount: 1 });
      await cache.getOrLoad(paymentCache, merchantId, warmId, loader.load(warmId));
      await cache.getOrLoad(paymentCache, merchantId, warmId, loader.load(warmId));
      const after = cache.snapshot(paymentCache);
      return {
        calls: loader.calls(warmId),
        hits: after.hits - before.hits,
        misses: after.misses - before.misses,
        errors: after.errors - before.errors,
      };
    });
    expect({ calls, hits, misses, errors }).toEqual({ calls: 1, hits: 1, misses: 1, errors: 0 });
  });

  it('answers from the loader within the command deadline while Redis hangs', async () => {
    server.pause();
    loader.rows.set(id, { amount: 2 });
    const before = cache.snapshot(paymentCache).errors;
    for (let read = 0; read < 3; read += 1) {
      const { value, elapsedMs } = await timed(() => cache.getOrLoad(paymentCache, merchantId, id, loader.load(id)));
      expect(value).toEqual({ amount: 2 });
      expect(elapsedMs).toBeGreaterThanOrEqual(cacheCommandTimeoutMs - 5);
      expect(elapsedMs).toBeLessThan(fallbackBoundMs);
    }
    const { elapsedMs } = await timed(() => cache.invalidate(paymentCache, merchantId, id));
    expect(elapsedMs).toBeLessThan(fallbackBoundMs);
    expect(cache.snapshot(paymentCache).errors - before).toBe(4);
  });

  it('answers from the loader at once after Redis stops', async () => {
    server.resume();
    await server.stop();
    loader.rows.set(id, { amount: 3 });
    const before = cache.snapshot(paymentCache).errors;
    for (let read = 0; read < 5; read += 1) {
      const { value, elapsedMs } = await timed(() => cache.getOrLoad(paymentCache, merchantId, id, loader.load(id)));
      expect(value).toEqual({ amount: 3 });
      expect(elapsedMs).toBeLessThan(cacheCommandTimeoutMs);
    }
    expect(cache.snapshot(paymentCache).errors - before).toBe(5);
  });

  it('uses the cache again once Redis is back', async () => {
    await server.restart();
    const otherId = newId('pay');
    loader.rows.set(otherId, { amount: 4 });
    const hitsBefore = cache.snapshot(paymentCache).hits;
    await waitFor(async () => {
      await cache.getOrLoad(paymentCache, merchantId, otherId, loader.load(otherId));
      return cache.snapshot(paymentCache).hits > hitsBefore;
    }, 'a cache hit after Redis restarted');
    expect(await cache.getOrLoad(paymentCache, merchantId, otherId, loader.load(otherId))).toEqual({ amount: 4 });
  });
});
