import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { HotCache } from '../src/caching/hot-cache.service';
import { Database } from '../src/database/database';
import type { EventObject } from '../src/events/event-types';
import { webhookEndpointCache, webhookEndpointCacheId } from '../src/webhooks/webhook-endpoint-cache';
import { WebhookEndpointsService } from '../src/webhooks/webhook-endpoints.service';
import { webhookDeliveryJobId, WEBHOOKS_QUEUE } from '../src/webhooks/webhooks.constants';
import { webhookLimits } from '../src/webhooks/webhooks.limits';
import {
  createMerchant,
  createPayment,
  eventually,
  type Merchant,
  type PaymentBody,
  settledPayment,
} from './support/api';
import { current } from './support/events-polling';
import { fastProcessing } from './support/fast-processing';
import { startTestApp, type TestApp } from './support/test-app';
import { dropDatabase, postgresServerUrl, uniqueDatabaseName } from './support/test-database';
import { newTestNamespace } from './support/test-names';
import { createEndpoint, type EndpointBody, postEndpoint } from './support/webhooks-api';
import { WebhookReceiver } from './support/webhooks-receiver';

/** Statements whose text contains each of `fragments`, from any process of this file (they share `pg`). */
function countQueries(fragments: readonly string[]): { count: (fragment: string) => number; restore: () => void } {
  const prototype = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  const counts = new Map(fragments.map((fragment) => [fragment, 0]));
  const spy = jest.spyOn(prototype, 'query').mockImplementation(function (this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    for (const fragment of fragments) if (text?.includes(fragment)) counts.set(fragment, counts.get(fragment)! + 1);
    return original.apply(this, args);
  });
  return { count: (fragment) => counts.get(fragment) ?? 0, restore: () => spy.mockRestore() };
}

function lookups(cache: HotCache): number {
  const { hits, misses, coalescedLoads } = cache.snapshot(webhookEndpointCache);
  return hits + misses + coalescedLoads;
}

function typesOf(receiver: WebhookReceiver): string[] {
  return receiver.deliveries.map((delivery) => (JSON.parse(delivery.rawBody) as EventObject).type).sort();
}

/** A point where a held call waits: `reached` once the call is there, until `open()`. */
class Gate {
  private readonly reached: Promise<void>;
  private arrive!: () => void;
  private release!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.release = resolve));

  constructor(readonly closed: boolean) {
    this.reached = new Promise<void>((resolve) => (this.arrive = resolve));
  }

  /** Fails past `deadlineMs`, so that a test whose call never comes ends (and opens its gates) instead of hanging. */
  async reachedWithin(deadlineMs: number, what: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} not reached within ${deadlineMs} ms`)), deadlineMs);
    });
    try {
      await Promise.race([this.reached, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async pass(): Promise<void> {
    if (!this.closed) return;
    this.arrive();
    await this.opened;
  }

  open(): void {
    this.release();
  }
}

/**
 * Holds the invalidations of `merchantId`'s routes in `subject`: the one in the creation's transaction once made
 * (the transaction stays open, with the merchant's lock), and the one after the commit before it is made. They are
 * told apart by whether another connection sees the endpoint yet, that is whether the creation has committed.
 */
function holdRoutesInvalidations(subject: TestApp, merchantId: string, { inTransaction = false } = {}) {
  const database = subject.app.get(Database);
  const cache = subject.app.get(HotCache);
  const invalidate = cache.invalidate.bind(cache);
  const gates = { inTransaction: new Gate(inTransaction), afterCommit: new Gate(true) };
  const spy = jest.spyOn(cache, 'invalidate').mockImplementation(async (family, merchant, id) => {
    if (family !== webhookEndpointCache || merchant !== merchantId) return invalidate(family, merchant, id);
    const visible = await database.pool.query('SELECT 1 FROM webhook_endpoints WHERE merchant_id = $1', [merchantId]);
    if (visible.rowCount === 0) {
      const confirmed = await invalidate(family, merchant, id);
      await gates.inTransaction.pass();
      return confirmed;
    }
    await gates.afterCommit.pass();
    return invalidate(family, merchant, id);
  });
  return {
    ...gates,
    release(): void {
      gates.inTransaction.open();
      gates.afterCommit.open();
      spy.mockRestore();
    },
  };
}

/**
 * The fan-out's per-merchant cache of endpoint routes, in the deployment's shape: endpoints are changed in the api
 * process, events published by the relay, fanned out and delivered by the worker, each a process of its own.
 */
describe('webhook endpoint routes cached for the fan-out', () => {
  const databaseName = uniqueDatabaseName();
  const names = newTestNamespace();
  const { queuePrefix } = names;
  const shared = {
    ...fastProcessing,
    DATABASE_URL: `${postgresServerUrl}/${databaseName}`,
    ...names.environment,
    // Exact hit and load counts on a loaded machine: no cache command may miss its deadline.
    CACHE_COMMAND_TIMEOUT_MS: '5000',
  };
  let api: TestApp;
  let relay: TestApp;
  let worker: TestApp;
  let redis: Redis;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    api = await startTestApp({ ...shared, APP_ROLE: 'api' });
    relay = await startTestApp({ ...shared, APP_ROLE: 'relay' });
    worker = await startTestApp({ ...shared, APP_ROLE: 'worker' });
    redis = new Redis(api.config.redis.cacheUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });
  afterAll(async () => {
    redis.disconnect();
    await api.close();
    await relay.close();
    await worker.close();
    for (const receiver of receivers) await receiver.close();
    await names.remove();
    await dropDatabase(databaseName);
  });

  async function receiver(): Promise<WebhookReceiver> {
    const started = await WebhookReceiver.start();
    receivers.push(started);
    return started;
  }

  async function paidPayment(merchant: Merchant): Promise<PaymentBody> {
    const created = await createPayment(api, merchant);
    expect(created.statusCode).toBe(202);
    return settledPayment(api, merchant, created.json<PaymentBody>().id);
  }

  async function eventsOf(merchant: Merchant): Promise<EventObject[]> {
    const response = await api.inject({ method: 'GET', url: '/v1/events?limit=100', headers: merchant.headers });
    return response.json<{ data: EventObject[] }>().data;
  }

  /** The merchant's entry as stored in the cache Redis, raw: undefined when there is none. */
  async function rawEntry(merchant: Merchant): Promise<string | undefined> {
    const key = `${queuePrefix}:cache:${webhookEndpointCache.name}:${merchant.id}:${webhookEndpointCacheId}`;
    return (await redis.get(key)) ?? undefined;
  }

  async function cachedRoutes(merchant: Merchant): Promise<unknown> {
    const raw = await rawEntry(merchant);
    return raw === undefined ? undefined : (JSON.parse(raw) as { value: { value: unknown } }).value.value;
  }

  it('fans out a merchant without endpoints with one endpoint query, for its first event only, and no event read', async () => {
    const merchant = await createMerchant(api);
    const cache = worker.app.get(HotCache);
    const lookupsBefore = lookups(cache);
    const countsBefore = cache.snapshot(webhookEndpointCache);
    let eventCount: number;
    // The fan-out reads an event back (EventsService.find) only when the message's merchant has an endpoint for it.
    const eventRead = 'from "events" where "events"."id"';
    const counted = countQueries(['"webhook_endpoints"', eventRead]);
    const queries = { count: () => counted.count('"webhook_endpoints"') };
    try {
      const created = await Promise.all(Array.from({ length: 5 }, () => createPayment(api, merchant)));
      for (const response of created) await settledPayment(api, merchant, response.json<PaymentBody>().id);
      const events = await eventsOf(merchant);
      expect(events).toHaveLength(10);
      eventCount = events.length;
      // Each fan-out looks the routes up once, in the cache or (without it) in PostgreSQL.
      await eventually(
        () => Promise.resolve(Math.max(lookups(cache) - lookupsBefore, queries.count())),
        (looked) => looked >= events.length,
        { what: 'every event of the merchant fanned out' },
      );
      expect(queries.count()).toBe(1);
      expect(counted.count(eventRead)).toBe(0);
    } finally {
      counted.restore();
    }
    const counts = cache.snapshot(webhookEndpointCache);
    expect(counts.misses - countsBefore.misses).toBe(1);
    expect(counts.errors - countsBefore.errors).toBe(0);
    // The other lookups were answered by the cache, or joined the first one's load (fan-outs running at once).
    expect(counts.hits - countsBefore.hits + counts.coalescedLoads - countsBefore.coalescedLoads).toBe(eventCount - 1);
    // The same counts, as an operator sees them.
    const metrics = (await worker.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(`cache_misses_total{family="webhook_endpoints"} ${counts.misses}`);
    expect(metrics).toContain(`cache_hits_total{family="webhook_endpoints"} ${counts.hits}`);
    expect(await cachedRoutes(merchant)).toEqual([]);
  });

  it('delivers to an endpoint created after the empty list was cached, from the next event on', async () => {
    const merchant = await createMerchant(api);
    const cache = worker.app.get(HotCache);
    const lookupsBefore = lookups(cache);
    await paidPayment(merchant);
    await eventually(
      () => cachedRoutes(merchant),
      (routes) => Array.isArray(routes) && routes.length === 0,
      { what: 'the empty list cached' },
    );
    // Both events of that payment fanned out (each fan-out looks the routes up once) before the endpoint exists: a
    // final event still on its way would otherwise reach the new endpoint, rightly, as an event after it.
    await eventually(
      () => Promise.resolve(lookups(cache) - lookupsBefore),
      (looked) => looked >= 2,
      { what: 'both events of the first payment fanned out' },
    );
    // The worker holds it in memory too (its own lookup, as the fan-out makes it).
    expect(await worker.app.get(WebhookEndpointsService).routesOf(merchant.id)).toEqual([]);
    expect(worker.app.get(HotCache).peekInProcess(webhookEndpointCache, merchant.id, webhookEndpointCacheId)).toEqual(
      [],
    );

    const target = await receiver();
    const endpoint = await createEndpoint(api, merchant, target.url(), ['*']);
    const payment = await paidPayment(merchant);
    await eventually(
      current(() => target.deliveries.length),
      (count) => count === 2,
      { what: 'both events of the payment made after the endpoint' },
    );
    expect(typesOf(target)).toEqual(['payment.processing', 'payment.succeeded']);
    for (const delivery of target.deliveries) {
      expect((JSON.parse(delivery.rawBody) as EventObject).data.object.id).toBe(payment.id);
    }
    expect(await cachedRoutes(merchant)).toEqual([{ id: endpoint.id, enabledEvents: ['*'] }]);
  });

  it('stops fanning out to a deleted endpoint: no delivery job for it, while the other one keeps receiving', async () => {
    const merchant = await createMerchant(api);
    const target = await receiver();
    const kept = await createEndpoint(api, merchant, target.url('/kept'), ['*']);
    const removed = await createEndpoint(api, merchant, target.url('/removed'), ['*']);
    await paidPayment(merchant);
    await eventually(
      current(() => target.deliveries.length),
      (count) => count === 4,
      { what: 'both events at both endpoints' },
    );
    expect(await cachedRoutes(merchant)).toEqual([
      { id: kept.id, enabledEvents: ['*'] },
      { id: removed.id, enabledEvents: ['*'] },
    ]);

    const deleted = await api.inject({
      method: 'DELETE',
      url: `/v1/webhook_endpoints/${removed.id}`,
      headers: merchant.headers,
    });
    expect(deleted.statusCode).toBe(200);
    const payment = await paidPayment(merchant);
    const afterDeletion = await eventually(
      current(() => target.deliveries.filter((delivery) => delivery.path === '/kept').slice(2)),
      (deliveries) => deliveries.length === 2,
      { what: 'the events after the deletion at the kept endpoint' },
    );
    const eventIds = afterDeletion.map((delivery) => (JSON.parse(delivery.rawBody) as EventObject).id);
    for (const delivery of afterDeletion) {
      expect((JSON.parse(delivery.rawBody) as EventObject).data.object.id).toBe(payment.id);
    }
    const queue = new Queue(WEBHOOKS_QUEUE, { connection: { url: api.config.redis.url }, prefix: queuePrefix });
    try {
      for (const eventId of eventIds) {
        expect(await queue.getJob(webhookDeliveryJobId(kept.id, eventId))).toBeDefined();
        // Not even a job the delivery would drop: the fan-out no longer routes to it.
        expect(await queue.getJob(webhookDeliveryJobId(removed.id, eventId))).toBeUndefined();
      }
    } finally {
      await queue.close();
    }
    expect(target.deliveries.filter((delivery) => delivery.path === '/removed')).toHaveLength(2);
    expect(await cachedRoutes(merchant)).toEqual([{ id: kept.id, enabledEvents: ['*'] }]);
  });

  it('caches routes only: neither the signing secret, sealed or clear, nor the URL', async () => {
    const merchant = await createMerchant(api);
    const target = await receiver();
    const endpoint = await createEndpoint(api, merchant, target.url('/private-path'), ['payment.succeeded']);
    await paidPayment(merchant);
    await eventually(
      current(() => target.deliveries.length),
      (count) => count === 1,
      { what: 'the succeeded event delivered' },
    );
    const raw = await eventually(
      () => rawEntry(merchant),
      (entry) => entry !== undefined,
      { what: 'the routes cached' },
    );
    expect(JSON.parse(raw!)).toMatchObject({
      value: { found: true, value: [{ id: endpoint.id, enabledEvents: ['payment.succeeded'] }] },
    });
    expect(Object.keys((JSON.parse(raw!) as { value: { value: object[] } }).value.value[0]!).sort()).toEqual([
      'enabledEvents',
      'id',
    ]);
    expect(raw).not.toContain(endpoint.secret);
    expect(raw).not.toContain('whsec_');
    expect(raw).not.toContain('/private-path');
    const sealed = await api.app
      .get(Database)
      .pool.query<{ sealed: string }>(
        `SELECT encode(secret_sealed, 'base64') AS sealed FROM webhook_endpoints WHERE id = $1`,
        [endpoint.id],
      );
    expect(raw).not.toContain(sealed.rows[0]!.sealed);
    // The worker's in-process copy is the same value.
    const copy = worker.app.get(HotCache).peekInProcess(webhookEndpointCache, merchant.id, webhookEndpointCacheId);
    if (copy !== undefined) expect(copy).toEqual([{ id: endpoint.id, enabledEvents: ['payment.succeeded'] }]);
  });

  async function emptyListCached(merchant: Merchant): Promise<void> {
    await paidPayment(merchant);
    await eventually(
      () => cachedRoutes(merchant),
      (routes) => Array.isArray(routes) && routes.length === 0,
      { what: 'the empty list cached' },
    );
  }

  function deliveriesOfPayment(target: WebhookReceiver, paymentId: string): () => Promise<string[]> {
    return current(() =>
      target.deliveries
        .map((delivery) => JSON.parse(delivery.rawBody) as EventObject)
        .filter((event) => event.data.object.id === paymentId)
        .map((event) => event.type)
        .sort(),
    );
  }

  it('routes an event recorded between the creation’s commit and its invalidation after commit to the endpoint', async () => {
    const merchant = await createMerchant(api);
    await emptyListCached(merchant);
    const hold = holdRoutesInvalidations(api, merchant.id);
    const target = await receiver();
    const creating = createEndpoint(api, merchant, target.url(), ['*']);
    try {
      await hold.afterCommit.reachedWithin(10_000, 'the invalidation after the commit');
      // Committed, not yet invalidated after its commit: the next events must reach the endpoint all the same.
      const payment = await paidPayment(merchant);
      await eventually(deliveriesOfPayment(target, payment.id), (types) => types.length === 2, {
        deadlineMs: 10_000,
        what: 'both events of the payment made after the commit',
      });
      expect(await deliveriesOfPayment(target, payment.id)()).toEqual(['payment.processing', 'payment.succeeded']);
    } finally {
      hold.release();
      await creating;
    }
  });

  it('does not cache the routes a fan-out reads while a creation is under way, over the endpoint once committed', async () => {
    const merchant = await createMerchant(api);
    await emptyListCached(merchant);
    const hold = holdRoutesInvalidations(api, merchant.id, { inTransaction: true });
    const target = await receiver();
    const creating = createEndpoint(api, merchant, target.url(), ['*']);
    const database = api.app.get(Database);
    try {
      await hold.inTransaction.reachedWithin(10_000, 'the invalidation in the transaction');
      // An event of the merchant fanned out while the creation's transaction is open (it holds the merchant's lock
      // for at most idleInTransactionTimeoutMs): its lookup misses and loads, and must not cache what it reads.
      const during = await createPayment(api, merchant);
      expect(during.statusCode).toBe(202);
      await eventually(
        async () => {
          const waiting = await database.pool.query(
            `SELECT 1 FROM pg_locks l JOIN pg_database d ON d.oid = l.database
              WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()`,
          );
          return waiting.rowCount! > 0 || (await cachedRoutes(merchant)) !== undefined;
        },
        (loading) => loading,
        { deadlineMs: 4_000, intervalMs: 10, what: 'the fan-out loading the routes during the creation' },
      );
      hold.inTransaction.open();
      await hold.afterCommit.reachedWithin(10_000, 'the invalidation after the commit');
      // Committed, not yet invalidated after its commit: what the racing load cached must already name the endpoint.
      const payment = await paidPayment(merchant);
      await eventually(deliveriesOfPayment(target, payment.id), (types) => types.length === 2, {
        deadlineMs: 10_000,
        what: 'both events of the payment made after the commit',
      });
      await settledPayment(api, merchant, during.json<PaymentBody>().id);
    } finally {
      hold.release();
      await creating;
    }
  });

  /** The api process's invalidations of the merchant's routes answer as `confirmed(attempt)` says, without Redis. */
  function answerRoutesInvalidations(merchantId: string, confirmed: (attempt: number) => boolean) {
    const cache = api.app.get(HotCache);
    const invalidate = cache.invalidate.bind(cache);
    let attempts = 0;
    const spy = jest.spyOn(cache, 'invalidate').mockImplementation((family, merchant, id) => {
      if (family !== webhookEndpointCache || merchant !== merchantId) return invalidate(family, merchant, id);
      attempts += 1;
      return Promise.resolve(confirmed(attempts));
    });
    return { attempts: () => attempts, restore: () => spy.mockRestore() };
  }

  it('refuses to create an endpoint (503, nothing stored) when the cache does not confirm clearing the routes', async () => {
    const merchant = await createMerchant(api);
    const unconfirmed = answerRoutesInvalidations(merchant.id, () => false);
    try {
      const response = await postEndpoint(api, merchant, { url: 'https://example.com/hook', enabled_events: ['*'] });
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('1');
      expect(response.json()).toMatchObject({ error: { type: 'api_error', code: 'service_unavailable' } });
      expect(unconfirmed.attempts()).toBe(webhookLimits.routesInvalidationAttemptsMax);
    } finally {
      unconfirmed.restore();
    }
    const list = await api.inject({ method: 'GET', url: '/v1/webhook_endpoints', headers: merchant.headers });
    expect(list.json<{ data: EndpointBody[] }>().data).toEqual([]);

    // One command that missed its deadline is tried again: the creation goes through.
    const once = answerRoutesInvalidations(merchant.id, (attempt) => attempt > 1);
    try {
      const response = await postEndpoint(api, merchant, { url: 'https://example.com/hook', enabled_events: ['*'] });
      expect(response.statusCode).toBe(201);
    } finally {
      once.restore();
    }
  });
});
