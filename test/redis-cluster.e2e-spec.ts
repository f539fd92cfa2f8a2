import { Cache } from '@nestjs/cache-manager';
import { Cluster, Redis } from 'ioredis';
import { cacheSlotTag } from '../src/caching/cache-key';
import type { CacheRedisStore } from '../src/caching/cache-store';
import { cacheClusterSlotGroups } from '../src/caching/caching.limits';
import { HotCache } from '../src/caching/hot-cache.service';
import { ApiKeysService } from '../src/merchants/api-keys.service';
import { PAYMENTS_QUEUE } from '../src/payments/payments.constants';
import { paymentCache } from '../src/payments/payment-cache';
import { WEBHOOKS_QUEUE } from '../src/webhooks/webhooks.constants';
import {
  apiKeysCall,
  createMerchant,
  createPayment,
  eventually,
  getPayment,
  type Merchant,
  paymentBody,
  settledPayment,
  uniqueKey,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { available, balanceOf, postAs, verifyLedger } from './support/money';
import { OwnRedisCluster } from './support/own-redis-cluster';
import { startTestApp, type TestApp } from './support/test-app';
import { postgresServerUrl } from './support/test-database';
import { newTestNamespace, redisServerUrl, type TestNamespace } from './support/test-names';
import { createEndpoint } from './support/webhooks-api';
import { WebhookReceiver } from './support/webhooks-receiver';

const limitPerSecond = 5;

/** Keys of the test's cluster matching `pattern`, from every master (SCAN sees one node's keys). */
async function clusterKeys(cluster: Cluster, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  for (const master of cluster.nodes('master')) {
    let cursor = '0';
    do {
      const [next, page] = await master.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...page);
    } while (cursor !== '0');
  }
  return keys;
}

/**
 * The whole application on a Redis Cluster of its own (three masters): queue and cache in cluster mode through
 * REDIS_CLUSTER_NODES alone (the cache follows the queue), PostgreSQL and RabbitMQ the shared ones under the test's
 * names. A second process (APP_ROLE=api, rate limit on) shares the deployment, for what crosses processes.
 */
describe('on a Redis Cluster', () => {
  let redisCluster: OwnRedisCluster;
  let names: TestNamespace;
  let subject: TestApp;
  let limited: TestApp;
  let receiver: WebhookReceiver;
  let cluster: Cluster;
  let merchant: Merchant;

  beforeAll(async () => {
    redisCluster = await OwnRedisCluster.start(3);
    names = newTestNamespace();
    receiver = await WebhookReceiver.start();
    cluster = redisCluster.client();
    const deployment = { ...fastProcessing, ...names.environment, REDIS_CLUSTER_NODES: redisCluster.nodes };
    subject = await startTestApp(deployment);
    limited = await startTestApp({
      ...deployment,
      // The first app made the database (and drops it on close); this one shares it.
      DATABASE_URL: `${postgresServerUrl}/${subject.databaseName}`,
      APP_ROLE: 'api',
      RATE_LIMIT_PER_SECOND: String(limitPerSecond),
    });
    merchant = await createMerchant(subject);
  }, 60_000);

  afterAll(async () => {
    await limited?.close();
    await subject?.close();
    cluster?.disconnect();
    await receiver?.close();
    await names?.remove();
    await redisCluster?.stop();
  });

  it('is ready: the health check pings every master', async () => {
    const ready = await subject.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
  });

  it('takes a payment with automatic capture to succeeded, its jobs in one hash-tagged slot of the cluster', async () => {
    const created = await createPayment(subject, merchant, paymentBody({ amount: 2000, currency: 'usd' }));
    expect(created.statusCode).toBe(202);
    const payment = await settledPayment(subject, merchant, created.json<{ id: string }>().id);
    expect(payment.status).toBe('succeeded');
    // BullMQ's keys live on the cluster under the {prefix} hash tag: one slot for every queue.
    const queueKeys = await clusterKeys(cluster, `{${names.queuePrefix}}:*`);
    expect(queueKeys.some((key) => key.startsWith(`{${names.queuePrefix}}:${PAYMENTS_QUEUE}:`))).toBe(true);
    expect(queueKeys.some((key) => key.startsWith(`{${names.queuePrefix}}:${WEBHOOKS_QUEUE}:`))).toBe(true);
    // None under the plain prefix, which would spread a queue's keys over slots.
    expect(await clusterKeys(cluster, `${names.queuePrefix}:${PAYMENTS_QUEUE}:*`)).toEqual([]);
  });

  it('captures a manual payment, refunds it, and keeps the balance and the ledger right', async () => {
    const created = await createPayment(subject, merchant, paymentBody({ amount: 1000, capture_method: 'manual' }));
    const authorized = await settledPayment(subject, merchant, created.json<{ id: string }>().id);
    expect(authorized.status).toBe('requires_capture');
    const before = available(await balanceOf(subject, merchant), 'USD');

    const captured = await postAs(subject, merchant, `/v1/payments/${authorized.id}/capture`, { amount: 800 });
    expect(captured.statusCode).toBe(200);
    expect(captured.json()).toMatchObject({ status: 'succeeded', amount_captured: 800 });
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(before + 800);

    const refund = await postAs(
      subject,
      merchant,
      '/v1/refunds',
      { payment_id: authorized.id, amount: 300 },
      uniqueKey(),
    );
    expect(refund.statusCode).toBe(201);
    expect(refund.json()).toMatchObject({ object: 'refund', amount: 300, status: 'succeeded' });
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(before + 500);
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('serves a GET from the cache, under the merchant’s slot tag, and never the old state after a write', async () => {
    const created = await createPayment(subject, merchant, paymentBody({ amount: 700, capture_method: 'manual' }));
    const id = created.json<{ id: string }>().id;
    await settledPayment(subject, merchant, id);
    const cache = subject.app.get(HotCache);

    const first = await getPayment(subject, merchant, id);
    expect(first.status).toBe('requires_capture');
    const hitsBefore = cache.snapshot(paymentCache).hits;
    expect(await getPayment(subject, merchant, id)).toEqual(first);
    expect(cache.snapshot(paymentCache).hits).toBe(hitsBefore + 1);
    const tag = cacheSlotTag(merchant.id, cacheClusterSlotGroups);
    const entry = `${names.queuePrefix}:cache:${tag}:payment:${merchant.id}:${id}:response`;
    expect(await cluster.exists(entry)).toBe(1);

    expect((await postAs(subject, merchant, `/v1/payments/${id}/capture`)).statusCode).toBe(200);
    expect(await cluster.exists(entry)).toBe(0);
    expect(await getPayment(subject, merchant, id)).toMatchObject({ status: 'succeeded', amount_captured: 700 });
  });

  it('drops every entry of the cache from every master, each slot group apart, and advances every epoch', async () => {
    const pattern = `${names.queuePrefix}:cache:{*}:balance:*`;
    // Cached balances of merchants until their entries lie on two masters at least (each master a third of the
    // slots: a handful of merchants, 20 at most), so that the drop must walk more than one node.
    const mastersHolding = async () => {
      const holding = await Promise.all(
        cluster.nodes('master').map(async (master) => (await master.keys(pattern)).length > 0),
      );
      return holding.filter(Boolean).length;
    };
    for (let merchants = 0; merchants < 20 && (await mastersHolding()) < 2; merchants += 1) {
      await balanceOf(subject, await createMerchant(subject));
    }
    expect(await mastersHolding()).toBeGreaterThanOrEqual(2);
    const entries = await clusterKeys(cluster, pattern);
    const store = subject.app.get(Cache).stores[0]!.store as CacheRedisStore;

    const deleted = await store.dropEverything(1_000, 100);
    expect(deleted).toBeGreaterThanOrEqual(entries.length);
    expect(await clusterKeys(cluster, pattern)).toEqual([]);
    expect(await clusterKeys(cluster, `${names.queuePrefix}:cache:{*}:epoch`)).toHaveLength(cacheClusterSlotGroups);
  });

  it('delivers a webhook', async () => {
    const endpoint = await createEndpoint(subject, merchant, receiver.url('/cluster'), ['payment.succeeded']);
    const created = await createPayment(subject, merchant, paymentBody({ amount: 1500 }));
    const id = created.json<{ id: string }>().id;
    const delivery = await eventually(
      () => Promise.resolve(receiver.deliveries.find((received) => received.rawBody.includes(id))),
      (received) => received !== undefined,
      { what: `the payment.succeeded webhook of ${id} at ${endpoint.url}` },
    );
    expect(JSON.parse(delivery!.rawBody)).toMatchObject({ type: 'payment.succeeded', data: { object: { id } } });
  });

  it('limits a merchant over RATE_LIMIT_PER_SECOND with 429, its counter on the cluster', async () => {
    const busy = await createMerchant(subject);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => limited.inject({ method: 'GET', url: '/v1/balance', headers: busy.headers })),
    );
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(limitPerSecond);
    expect(statuses).toContain(429);
    expect(statuses.every((status) => status === 200 || status === 429)).toBe(true);
    expect(await cluster.exists(`${names.queuePrefix}:rate-limit:${busy.id}`)).toBe(1);
  });

  it('makes the other process drop a revoked API key when the invalidation message reaches it', async () => {
    const owner = await createMerchant(subject);
    const otherCache = limited.app.get(HotCache);
    expect(otherCache.inProcessInvalidationsSnapshot().listening).toBe(true);
    expect((await limited.inject({ method: 'GET', url: '/v1/balance', headers: owner.headers })).statusCode).toBe(200);
    expect(limited.app.get(ApiKeysService).merchantIdForApiKeyAtHand(owner.apiKey)).toBe(owner.id);
    const receivedBefore = otherCache.inProcessInvalidationsSnapshot().received;

    const keyId = (await apiKeysCall(subject, 'GET', owner.id)).json<{ data: { id: string }[] }>().data[0]!.id;
    expect((await apiKeysCall(subject, 'DELETE', owner.id, { keyId })).statusCode).toBe(200);
    await eventually(
      () => Promise.resolve(otherCache.inProcessInvalidationsSnapshot().received),
      (received) => received > receivedBefore,
      { deadlineMs: 5_000, intervalMs: 5, what: 'the revocation message in the other process' },
    );
    expect(limited.app.get(ApiKeysService).merchantIdForApiKeyAtHand(owner.apiKey)).toBeUndefined();
    expect((await limited.inject({ method: 'GET', url: '/v1/balance', headers: owner.headers })).statusCode).toBe(401);
  });

  it('writes nothing under its prefix to the shared Redis: every client went to the cluster', async () => {
    const shared = new Redis(redisServerUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await shared.connect();
    try {
      const keys: string[] = [];
      for await (const page of shared.scanStream({ match: `*${names.queuePrefix}*`, count: 1000 }) as AsyncIterable<
        string[]
      >)
        keys.push(...page);
      expect(keys).toEqual([]);
    } finally {
      shared.disconnect();
    }
  });
});
