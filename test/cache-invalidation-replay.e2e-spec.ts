import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Cache } from '@nestjs/cache-manager';
import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { cacheKey } from '../src/caching/cache-key';
import { type CacheRedisStore, connectCacheStore } from '../src/caching/cache-store';
import { invalidationsPendingMax } from '../src/caching/caching.limits';
import { HotCache } from '../src/caching/hot-cache.service';
import { apiKeyCache, apiKeyCacheScope } from '../src/merchants/api-key-cache';
import { paymentCache } from '../src/payments/payment-cache';
import { balanceCache } from '../src/ledger/balance-cache';
import { MetricsRegistry } from '../src/metrics/metrics-registry';
import { newId } from '../src/common/ids';
import { CachingGate } from './support/caching-probe.module';
import { ThrowawayRedis } from './support/caching-redis-server';
import { TcpProxy } from './support/events-tcp-proxy';

// Issue #11, fault scenario 6: the cache Redis comes back with the data it had before an outage, and this process
// made invalidations meanwhile that never reached it. Each "process" is a HotCache on a connection of its own,
// through a TCP proxy the test cuts: Redis itself keeps running, so it keeps its old entries, as a Redis restarted
// from its AOF or a network partition would.

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, deadlineMs = 10_000) {
  const deadline = performance.now() + deadlineMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Process {
  name: string;
  proxy: TcpProxy;
  store: Awaited<ReturnType<typeof connectCacheStore>>;
  cache: HotCache;
  redisStore: CacheRedisStore;
}

type Row = { status: string } | null;

describe('invalidations made while the cache Redis was unreachable', () => {
  let server: ThrowawayRedis;
  let redis: Redis;
  let namespace: string;
  let processA: Process;
  let processB: Process;
  const queuePrefix = `test-replay-${randomBytes(4).toString('hex')}`;

  async function startProcess(name: string): Promise<Process> {
    const proxy = await TcpProxy.start('127.0.0.1', server.port);
    const store = await connectCacheStore(`redis://127.0.0.1:${proxy.port}`, queuePrefix, new Logger(name));
    // As in the application, where other providers come first: the connection is up before HotCache exists.
    await waitFor(() => (store.store as CacheRedisStore).isReady, `${name} to connect`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const cache = new HotCache({ stores: [store] } as unknown as Cache, new MetricsRegistry());
    return { name, proxy, store, cache, redisStore: store.store as CacheRedisStore };
  }

  /** Cuts the process off the cache Redis and waits until its client knows: its commands then fail at once. */
  async function cut(process: Process): Promise<void> {
    await process.proxy.cut();
    await waitFor(() => !process.redisStore.isReady, `${process.name} to see the cut`);
  }

  async function restore(process: Process): Promise<void> {
    await process.proxy.restore();
    await waitFor(() => process.redisStore.isReady, `${process.name} to reconnect`);
  }

  /** The Redis key of the payment entry `id` of `merchantId`, as the cache writes it. */
  function entryKey(merchantId: string, id: string): string {
    return `${namespace}${cacheKey(paymentCache, merchantId, id)}`;
  }

  /** Reads through `process` until its cache answers a read of a key nobody invalidated from Redis again. */
  async function untilServingFromCache(process: Process, merchantId: string): Promise<void> {
    const id = newId('pay');
    const load = () => Promise.resolve({ status: 'control' });
    await waitFor(async () => {
      const hitsBefore = process.cache.snapshot(paymentCache).hits;
      await process.cache.getOrLoad(paymentCache, merchantId, id, load);
      return process.cache.snapshot(paymentCache).hits > hitsBefore;
    }, `${process.name} to serve from the cache again`);
  }

  /** Fails more invalidations through `process` (cut off) than it can remember one by one. */
  async function overflow(process: Process): Promise<void> {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      for (let filler = 0; filler < invalidationsPendingMax; filler += 1) {
        await process.cache.invalidate(balanceCache, newId('mer'), 'current');
      }
    } finally {
      warn.mockRestore();
    }
    expect(process.cache.recoverySnapshot()).toMatchObject({ overflowed: true, trusted: false });
  }

  beforeAll(async () => {
    server = await ThrowawayRedis.start();
    redis = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    namespace = `${queuePrefix}:cache:`;
    [processA, processB] = await Promise.all([startProcess('ProcessA'), startProcess('ProcessB')]);
  });

  afterEach(async () => {
    // Each test leaves both processes connected, whatever it asserted.
    await Promise.all([restore(processA), restore(processB)]);
  });

  afterAll(async () => {
    for (const process of [processA, processB]) {
      process.cache.onApplicationShutdown();
      await process.store.disconnect();
      await process.proxy.close();
    }
    redis.disconnect();
    await server.stop();
  });

  it('reads the new state, not the entry it could not invalidate, once Redis is back with its old data', async () => {
    const [merchantId, id] = [newId('mer'), newId('pay')];
    let row: Row = { status: 'requires_capture' };
    const load = () => Promise.resolve(row);
    await processA.cache.getOrLoad(paymentCache, merchantId, id, load);
    expect(await redis.exists(entryKey(merchantId, id))).toBe(1);

    await cut(processA);
    row = { status: 'succeeded' };
    await processA.cache.invalidate(paymentCache, merchantId, id);
    // The invalidation never reached Redis: the old entry is still there.
    expect(await redis.get(entryKey(merchantId, id))).toContain('requires_capture');
    expect(await processA.cache.getOrLoad(paymentCache, merchantId, id, load)).toEqual({ status: 'succeeded' });

    await restore(processA);
    expect(await processA.cache.getOrLoad(paymentCache, merchantId, id, load)).toEqual({ status: 'succeeded' });
    // Also once the cache serves hits again, and in Redis itself, where any other process reads.
    await untilServingFromCache(processA, merchantId);
    expect(await processA.cache.getOrLoad(paymentCache, merchantId, id, load)).toEqual({ status: 'succeeded' });
    // No entry at all is fine too: the read that loaded the new state may have skipped its write-back.
    expect((await redis.get(entryKey(merchantId, id))) ?? '').not.toContain('requires_capture');
    expect(await processB.cache.getOrLoad(paymentCache, merchantId, id, load)).toEqual({ status: 'succeeded' });
  });

  it('clears the old entry for other processes once the process that missed the invalidation reconnects', async () => {
    const [merchantId, id] = [newId('mer'), newId('pay')];
    let row: Row = { status: 'requires_capture' };
    const load = () => Promise.resolve(row);
    await processB.cache.getOrLoad(paymentCache, merchantId, id, load);

    // Only A is cut off (a partition): B still reads Redis.
    await cut(processA);
    row = { status: 'succeeded' };
    await processA.cache.invalidate(paymentCache, merchantId, id);
    // The residual window, accepted by the design: B never saw a failure and serves the entry A could not
    // invalidate, until A's replay lands (or the entry expires).
    expect(await processB.cache.getOrLoad(paymentCache, merchantId, id, load)).toEqual({ status: 'requires_capture' });

    // A reconnects and replays by itself, without a read of its own.
    await processA.proxy.restore();
    await waitFor(
      async () => (await processB.cache.getOrLoad(paymentCache, merchantId, id, load))?.status === 'succeeded',
      'process B to read the new state',
    );
    // No entry at all is fine too: the read that loaded the new state may have skipped its write-back.
    expect((await redis.get(entryKey(merchantId, id))) ?? '').not.toContain('requires_capture');
  });

  it('when it could not even remember them all, drops every cached entry, API keys included', async () => {
    const merchantId = newId('mer');
    const [changed, untouched] = [newId('pay'), newId('pay')];
    const keyHash = randomBytes(32).toString('hex');
    const rows = new Map<string, Row>([
      [changed, { status: 'requires_capture' }],
      [untouched, { status: 'succeeded' }],
    ]);
    let keyOwner: string | null = merchantId;
    const loadKey = () => Promise.resolve(keyOwner);
    for (const id of rows.keys())
      await processB.cache.getOrLoad(paymentCache, merchantId, id, () => Promise.resolve(rows.get(id)!));
    expect(await processB.cache.getOrLoad(apiKeyCache, apiKeyCacheScope, keyHash, loadKey)).toBe(merchantId);

    await cut(processA);
    rows.set(changed, { status: 'succeeded' });
    keyOwner = null;
    // The revocation cannot be confirmed (the API answers 503), and many more invalidations fail after it.
    expect(await processA.cache.invalidate(apiKeyCache, apiKeyCacheScope, keyHash)).toBe(false);
    await processA.cache.invalidate(paymentCache, merchantId, changed);
    await overflow(processA);

    await processA.proxy.restore();
    await waitFor(
      async () => (await redis.exists(entryKey(merchantId, untouched))) === 0,
      'the entries of the namespace to be dropped',
    );
    expect(await redis.exists(entryKey(merchantId, changed))).toBe(0);
    expect(await redis.exists(`${namespace}${cacheKey(apiKeyCache, apiKeyCacheScope, keyHash)}`)).toBe(0);
    // B's in-process copy of the key lives a second at most; after it, Redis has nothing and PostgreSQL decides.
    await waitFor(
      async () => (await processB.cache.getOrLoad(apiKeyCache, apiKeyCacheScope, keyHash, loadKey)) === null,
      'process B to refuse the revoked key',
    );
    const read = (id: string) =>
      processB.cache.getOrLoad(paymentCache, merchantId, id, () => Promise.resolve(rows.get(id)!));
    expect(await read(changed)).toEqual({ status: 'succeeded' });
    expect(await read(untouched)).toEqual({ status: 'succeeded' });
  });

  it('keeps a load another process started before the change from storing it after everything was dropped', async () => {
    const [merchantId, id] = [newId('mer'), newId('pay')];
    let row: Row = { status: 'requires_capture' };
    // B reads the row (and, before that, the generation and the epoch), then holds on to it.
    const gate = new CachingGate();
    let signalRead: () => void = () => undefined;
    const hasRead = new Promise<void>((resolve) => (signalRead = resolve));
    const heldLoad = processB.cache.getOrLoad(paymentCache, merchantId, id, async () => {
      const read = row;
      signalRead();
      await gate.opened;
      return read;
    });
    await hasRead;

    await cut(processA);
    row = { status: 'succeeded' };
    await processA.cache.invalidate(paymentCache, merchantId, id);
    await overflow(processA);
    await processA.proxy.restore();
    await waitFor(() => !processA.cache.recoverySnapshot().overflowed, 'process A to drop every entry');

    gate.open();
    expect(await heldLoad).toEqual({ status: 'requires_capture' });
    expect(await redis.exists(entryKey(merchantId, id))).toBe(0);
    expect(await processB.cache.getOrLoad(paymentCache, merchantId, id, () => Promise.resolve(row))).toEqual(row);
  });

  it('reads nothing from the cache for a while after its own connection came back, while others may replay', async () => {
    const [merchantId, id] = [newId('mer'), newId('pay')];
    let row: Row = { status: 'requires_capture' };
    const load = () => Promise.resolve(row);
    await processB.cache.getOrLoad(paymentCache, merchantId, id, load);

    // Redis unreachable for both; only A had a write to invalidate, and B is back first.
    await Promise.all([cut(processA), cut(processB)]);
    row = { status: 'succeeded' };
    await processA.cache.invalidate(paymentCache, merchantId, id);
    await restore(processB);
    expect(processB.cache.recoverySnapshot()).toEqual({
      pendingInvalidations: 0,
      overflowed: false,
      quiet: true,
      trusted: false,
    });
    // Checked in the same turn as the snapshot above: the quiet period cannot have ended in between.
    const hitsBefore = processB.cache.snapshot(paymentCache).hits;
    expect(await processB.cache.getOrLoad(paymentCache, merchantId, id, load)).toEqual({ status: 'succeeded' });
    expect(processB.cache.snapshot(paymentCache).hits).toBe(hitsBefore);
    expect(await redis.get(entryKey(merchantId, id))).toContain('requires_capture');

    await restore(processA);
    await waitFor(() => processA.cache.recoverySnapshot().pendingInvalidations === 0, 'process A to replay');
    await untilServingFromCache(processB, merchantId);
    expect(await processB.cache.getOrLoad(paymentCache, merchantId, id, load)).toEqual({ status: 'succeeded' });
  });
});
