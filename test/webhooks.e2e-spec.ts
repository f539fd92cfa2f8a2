import { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { Database } from '../src/database/database';
import type { EventObject } from '../src/events/event-types';
import { WebhookDeliveryProcessor } from '../src/webhooks/webhook-delivery.processor';
import { verifyWebhookSignature } from '../packages/client/src';
import { webhookDeliveryJobId, WEBHOOKS_QUEUE } from '../src/webhooks/webhooks.constants';
import {
  createMerchant,
  createPayment,
  eventually,
  type Merchant,
  type PaymentBody,
  paymentBody,
  settledPayment,
  uniqueKey,
} from './support/api';
import { current } from './support/events-polling';
import { fastProcessing } from './support/fast-processing';
import { startTestApp, type TestApp, testAdminToken } from './support/test-app';
import { dropDatabase, postgresServerUrl, uniqueDatabaseName } from './support/test-database';
import { newTestNamespace } from './support/test-names';
import { createEndpoint, deliveriesOf, type EndpointBody, postEndpoint } from './support/webhooks-api';
import { WebhookReceiver } from './support/webhooks-receiver';

const dashboardAuth = `Basic ${Buffer.from(`admin:${testAdminToken}`).toString('base64')}`;

// Real retries on a test's time scale: ceilings of 300 ms, 600 ms, … capped at 1.2 s; three attempts; 500 ms timeout.
const shortSchedule = {
  WEBHOOK_RETRY_BASE_DELAY_MS: '300',
  WEBHOOK_RETRY_MAX_DELAY_MS: '1200',
  WEBHOOK_ATTEMPTS_MAX: '3',
  WEBHOOK_TIMEOUT_MS: '500',
};

const measurements: Record<string, unknown> = {};

describe('webhooks', () => {
  let subject: TestApp;
  const receivers: WebhookReceiver[] = [];

  beforeAll(async () => {
    subject = await startTestApp({ ...fastProcessing, ...shortSchedule });
  });
  afterAll(async () => {
    await subject.close();
    for (const receiver of receivers) await receiver.close();
    console.log(`webhook measurements: ${JSON.stringify(measurements)}`);
  });

  async function receiver(...args: Parameters<typeof WebhookReceiver.start>): Promise<WebhookReceiver> {
    const started = await WebhookReceiver.start(...args);
    receivers.push(started);
    return started;
  }

  async function paidPayment(merchant: Merchant): Promise<PaymentBody> {
    const created = await createPayment(subject, merchant);
    expect(created.statusCode).toBe(202);
    return settledPayment(subject, merchant, created.json<PaymentBody>().id);
  }

  function webhooksQueue(): Queue {
    return new Queue(WEBHOOKS_QUEUE, {
      connection: { url: subject.config.redis.url },
      prefix: subject.config.redis.queuePrefix,
    });
  }

  describe('endpoints over HTTP', () => {
    it('creates an endpoint with a secret shown only at creation, then lists, reads and deletes it', async () => {
      const merchant = await createMerchant(subject);
      const created = await postEndpoint(subject, merchant, {
        url: 'https://hooks.example.com/payments',
        enabled_events: ['payment.succeeded', 'payment.failed', 'payment.succeeded'],
      });
      expect(created.statusCode).toBe(201);
      const endpoint = created.json<EndpointBody>();
      expect(endpoint).toEqual({
        id: expect.stringMatching(/^we_[0-9A-Za-z]{24}$/),
        object: 'webhook_endpoint',
        url: 'https://hooks.example.com/payments',
        enabled_events: ['payment.succeeded', 'payment.failed'],
        status: 'enabled',
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
        created_at: expect.any(String),
      });
      const { secret, ...shown } = endpoint;
      const read = await subject.inject({
        method: 'GET',
        url: `/v1/webhook_endpoints/${endpoint.id}`,
        headers: merchant.headers,
      });
      expect(read.json()).toEqual(shown);
      const list = await subject.inject({ method: 'GET', url: '/v1/webhook_endpoints', headers: merchant.headers });
      expect(list.json()).toEqual({ object: 'list', data: [shown], has_more: false });
      expect(list.body).not.toContain(secret);

      const deleted = await subject.inject({
        method: 'DELETE',
        url: `/v1/webhook_endpoints/${endpoint.id}`,
        headers: merchant.headers,
      });
      expect(deleted.statusCode).toBe(200);
      expect(deleted.json()).toEqual({ id: endpoint.id, object: 'webhook_endpoint', deleted: true });
      for (const method of ['GET', 'DELETE'] as const) {
        const gone = await subject.inject({
          method,
          url: `/v1/webhook_endpoints/${endpoint.id}`,
          headers: merchant.headers,
        });
        expect(gone.statusCode).toBe(404);
      }
      const empty = await subject.inject({ method: 'GET', url: '/v1/webhook_endpoints', headers: merchant.headers });
      expect(empty.json()).toEqual({ object: 'list', data: [], has_more: false });
    });

    it('pages the list newest first', async () => {
      const merchant = await createMerchant(subject);
      const ids: string[] = [];
      for (let index = 0; index < 5; index += 1) {
        ids.unshift((await createEndpoint(subject, merchant, `https://example.com/${index}`)).id);
      }
      const first = await subject.inject({
        method: 'GET',
        url: '/v1/webhook_endpoints?limit=3',
        headers: merchant.headers,
      });
      const page = first.json<{ data: EndpointBody[]; has_more: boolean }>();
      expect(page.data.map((endpoint) => endpoint.id)).toEqual(ids.slice(0, 3));
      expect(page.has_more).toBe(true);
      const second = await subject.inject({
        method: 'GET',
        url: `/v1/webhook_endpoints?limit=3&starting_after=${ids[2]}`,
        headers: merchant.headers,
      });
      expect(second.json()).toMatchObject({ has_more: false });
      expect(second.json<{ data: EndpointBody[] }>().data.map((endpoint) => endpoint.id)).toEqual(ids.slice(3));
    });

    it('honours Idempotency-Key: a retry gets the same endpoint and secret, a different body is refused', async () => {
      const merchant = await createMerchant(subject);
      const key = uniqueKey('we');
      const body = { url: 'https://example.com/idempotent', enabled_events: ['*'] };
      const first = await postEndpoint(subject, merchant, body, { 'idempotency-key': key });
      const again = await postEndpoint(subject, merchant, body, { 'idempotency-key': key });
      expect(first.statusCode).toBe(201);
      expect(again.statusCode).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.json()).toEqual(first.json());
      const reused = await postEndpoint(
        subject,
        merchant,
        { ...body, url: 'https://example.com/other' },
        { 'idempotency-key': key },
      );
      expect(reused.statusCode).toBe(422);
      expect(reused.json()).toMatchObject({ error: { type: 'idempotency_error', code: 'idempotency_key_reused' } });
      const list = await subject.inject({ method: 'GET', url: '/v1/webhook_endpoints', headers: merchant.headers });
      expect(list.json<{ data: unknown[] }>().data).toHaveLength(1);
    });

    it.each([
      ['a missing url', { enabled_events: ['*'] }, 'parameter_missing', 'url'],
      ['a missing enabled_events', { url: 'https://example.com' }, 'parameter_missing', 'enabled_events'],
      ['a url that is no URL', { url: 'example', enabled_events: ['*'] }, 'parameter_invalid', 'url'],
      ['an ftp url', { url: 'ftp://example.com/x', enabled_events: ['*'] }, 'parameter_invalid', 'url'],
      ['a url with credentials', { url: 'https://a:b@example.com', enabled_events: ['*'] }, 'parameter_invalid', 'url'],
      ['a url that is a number', { url: 42, enabled_events: ['*'] }, 'parameter_invalid', 'url'],
      ['no enabled events', { url: 'https://example.com', enabled_events: [] }, 'parameter_invalid', 'enabled_events'],
      [
        'an unknown event type',
        { url: 'https://example.com', enabled_events: ['payment.succeeded', 'payment.exploded'] },
        'parameter_invalid',
        'enabled_events.1',
      ],
      [
        'enabled_events as text',
        { url: 'https://example.com', enabled_events: '*' },
        'parameter_invalid',
        'enabled_events',
      ],
      [
        'an unknown field',
        { url: 'https://example.com', enabled_events: ['*'], secret: 'x' },
        'parameter_unknown',
        'secret',
      ],
    ])('refuses %s with 400 naming the parameter, storing nothing', async (_case, payload, code, param) => {
      const merchant = await createMerchant(subject);
      const response = await postEndpoint(subject, merchant, payload, { 'idempotency-key': uniqueKey('bad') });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        error: { type: 'invalid_request_error', code, param, message: expect.any(String) },
      });
      const list = await subject.inject({ method: 'GET', url: '/v1/webhook_endpoints', headers: merchant.headers });
      expect(list.json<{ data: unknown[] }>().data).toEqual([]);
    });

    it('keeps merchants apart: another merchant’s endpoint is answered like a missing one', async () => {
      const owner = await createMerchant(subject, 'Owner');
      const stranger = await createMerchant(subject, 'Stranger');
      const endpoint = await createEndpoint(subject, owner, 'https://example.com/owner');
      for (const [method, url] of [
        ['GET', `/v1/webhook_endpoints/${endpoint.id}`],
        ['DELETE', `/v1/webhook_endpoints/${endpoint.id}`],
        ['GET', `/v1/webhook_endpoints/${endpoint.id}/deliveries`],
      ] as const) {
        const response = await subject.inject({ method, url, headers: stranger.headers });
        expect(response.statusCode).toBe(404);
        expect(response.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'resource_missing' } });
      }
      const theirs = await subject.inject({ method: 'GET', url: '/v1/webhook_endpoints', headers: stranger.headers });
      expect(theirs.json<{ data: unknown[] }>().data).toEqual([]);
      const cursor = await subject.inject({
        method: 'GET',
        url: `/v1/webhook_endpoints?starting_after=${endpoint.id}`,
        headers: stranger.headers,
      });
      expect(cursor.statusCode).toBe(400);
      const stillThere = await subject.inject({
        method: 'GET',
        url: `/v1/webhook_endpoints/${endpoint.id}`,
        headers: owner.headers,
      });
      expect(stillThere.statusCode).toBe(200);
      const malformed = await subject.inject({
        method: 'GET',
        url: '/v1/webhook_endpoints/we_nope',
        headers: owner.headers,
      });
      expect(malformed.statusCode).toBe(404);
      expect((await subject.inject({ method: 'GET', url: '/v1/webhook_endpoints' })).statusCode).toBe(401);
    });

    it('are described in the OpenAPI document, with the events list', async () => {
      const document = (await subject.inject({ method: 'GET', url: '/docs-json' })).json<{
        paths: Record<string, Record<string, { parameters?: { name: string }[]; requestBody?: unknown }>>;
      }>();
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining([
          '/v1/events',
          '/v1/events/{id}',
          '/v1/webhook_endpoints',
          '/v1/webhook_endpoints/{id}',
          '/v1/webhook_endpoints/{id}/deliveries',
        ]),
      );
      expect(Object.keys(document.paths['/v1/webhook_endpoints']!).sort()).toEqual(['get', 'post']);
      expect(JSON.stringify(document.paths['/v1/webhook_endpoints']!.post!.requestBody)).toContain('payment.succeeded');
      expect(document.paths['/v1/events']!.get!.parameters!.map((parameter) => parameter.name).sort()).toEqual([
        'limit',
        'starting_after',
        'type',
      ]);
    });

    it('refuses more than 16 endpoints per merchant', async () => {
      const merchant = await createMerchant(subject);
      await Promise.all(
        Array.from({ length: 16 }, (_, index) => createEndpoint(subject, merchant, `https://example.com/${index}`)),
      );
      const over = await postEndpoint(subject, merchant, { url: 'https://example.com/17', enabled_events: ['*'] });
      expect(over.statusCode).toBe(400);
      expect(over.json()).toMatchObject({ error: { code: 'webhook_endpoints_limit_reached' } });
    });
  });

  describe('deliveries', () => {
    it('POSTs each enabled event, signed so that verifyWebhookSignature accepts it and nothing else', async () => {
      const merchant = await createMerchant(subject);
      const all = await receiver();
      const succeededOnly = await receiver();
      const everything = await createEndpoint(subject, merchant, all.url(), ['*']);
      const filtered = await createEndpoint(subject, merchant, succeededOnly.url(), ['payment.succeeded']);
      const payment = await paidPayment(merchant);

      await eventually(
        current(() => all.deliveries.length),
        (count) => count === 2,
        { what: 'both events at the * endpoint' },
      );
      await eventually(
        current(() => succeededOnly.deliveries.length),
        (count) => count === 1,
        { what: 'the succeeded event at the filtered endpoint' },
      );
      const events = new Map(
        (await subject.inject({ method: 'GET', url: '/v1/events', headers: merchant.headers }))
          .json<{ data: EventObject[] }>()
          .data.map((event) => [event.id, event]),
      );
      const received = [...all.deliveries.map((delivery) => ({ delivery, secret: everything.secret }))].concat(
        succeededOnly.deliveries.map((delivery) => ({ delivery, secret: filtered.secret })),
      );
      for (const { delivery, secret } of received) {
        const header = delivery.headers['payments-signature'] as string;
        expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
        expect(delivery.headers['content-type']).toBe('application/json');
        expect(verifyWebhookSignature({ header, rawBody: delivery.rawBody, secret })).toBe(true);
        const event = JSON.parse(delivery.rawBody) as EventObject;
        expect(event).toEqual(events.get(event.id));
        expect(event.data.object.id).toBe(payment.id);

        const tampered = delivery.rawBody.replace('"succeeded"', '"failed"').replace('"processing"', '"failed"');
        expect(tampered).not.toBe(delivery.rawBody);
        expect(verifyWebhookSignature({ header, rawBody: tampered, secret })).toBe(false);
        const signedAt = Number(/^t=(\d+)/.exec(header)![1]);
        expect(verifyWebhookSignature({ header, rawBody: delivery.rawBody, secret, nowSeconds: signedAt + 301 })).toBe(
          false,
        );
        const otherSecret = secret === everything.secret ? filtered.secret : everything.secret;
        expect(verifyWebhookSignature({ header, rawBody: delivery.rawBody, secret: otherSecret })).toBe(false);
      }
      expect(all.deliveries.map((delivery) => (JSON.parse(delivery.rawBody) as EventObject).type).sort()).toEqual([
        'payment.processing',
        'payment.succeeded',
      ]);
      expect((JSON.parse(succeededOnly.deliveries[0]!.rawBody) as EventObject).type).toBe('payment.succeeded');

      // The receiver answers before the processor records the attempt: wait for both records, not just both requests.
      const attempts = await eventually(
        () => deliveriesOf(subject, merchant, everything.id),
        (recorded) => recorded.length >= 2,
        { what: 'both delivery attempts recorded' },
      );
      expect(attempts).toHaveLength(2);
      for (const attempt of attempts) {
        expect(attempt).toMatchObject({ object: 'webhook_delivery', endpoint_id: everything.id, attempt: 1 });
        expect(attempt).toMatchObject({ status_code: 200, error: null, succeeded: true });
        expect(attempt.duration_ms).toBeGreaterThanOrEqual(0);
      }
    });

    it('retries a failing receiver with growing delays: 500, 500, then 200 is exactly three attempts', async () => {
      const merchant = await createMerchant(subject);
      const flaky = await receiver((_delivery, index) => (index < 2 ? 500 : 200));
      const endpoint = await createEndpoint(subject, merchant, flaky.url(), ['payment.succeeded']);
      const payment = await paidPayment(merchant);
      const attempts = await eventually(
        () => deliveriesOf(subject, merchant, endpoint.id),
        (recorded) => recorded.some((attempt) => attempt.succeeded),
        { what: 'the third attempt succeeding' },
      );
      expect(attempts.map((attempt) => [attempt.attempt, attempt.status_code, attempt.succeeded])).toEqual([
        [3, 200, true],
        [2, 500, false],
        [1, 500, false],
      ]);
      expect(flaky.deliveries).toHaveLength(3);
      const bodies = new Set(flaky.deliveries.map((delivery) => JSON.parse(delivery.rawBody).id as string));
      expect(bodies.size).toBe(1);
      const jobId = webhookDeliveryJobId(endpoint.id, attempts[0]!.event_id);
      // The delays BullMQ scheduled (equal jitter: the first in [150, 300] ms, the second in [300, 600] ms) …
      const scheduled = subject.logs
        .records()
        .filter((record) => record.jobId === jobId && record.retryInMs !== undefined)
        .map((record) => Number(record.retryInMs));
      expect(scheduled).toHaveLength(2);
      expect(scheduled[0]).toBeGreaterThanOrEqual(150);
      expect(scheduled[0]).toBeLessThanOrEqual(300);
      expect(scheduled[1]).toBeGreaterThanOrEqual(300);
      expect(scheduled[1]).toBeLessThanOrEqual(600);
      expect(scheduled[1]).toBeGreaterThanOrEqual(scheduled[0]!);
      // … and what the receiver saw: from the end of an attempt (its recorded time) to the next request.
      const [firstEnd, secondEnd] = [attempts[2]!, attempts[1]!].map((attempt) => Date.parse(attempt.created_at));
      const waits = [flaky.deliveries[1]!.receivedAtMs - firstEnd!, flaky.deliveries[2]!.receivedAtMs - secondEnd!];
      expect(waits[0]).toBeGreaterThanOrEqual(scheduled[0]! - 5);
      expect(waits[1]).toBeGreaterThanOrEqual(scheduled[1]! - 5);
      expect(waits[0]).toBeLessThan(scheduled[0]! + 1_000);
      expect(waits[1]).toBeLessThan(scheduled[1]! + 1_000);
      measurements.retryScheduledMs = scheduled;
      measurements.retryWaitsMs = waits;
      const queue = webhooksQueue();
      try {
        const job = await queue.getJob(jobId);
        expect(await job?.getState()).toBe('completed');
        expect(job?.returnvalue).toEqual({ outcome: 'delivered', status_code: 200 });
      } finally {
        await queue.close();
      }
      expect(attempts[0]!.event_type).toBe('payment.succeeded');
      expect(payment.status).toBe('succeeded');
    });

    it('dead-letters a delivery that keeps failing; an operator retry from the dashboard re-attempts it', async () => {
      const merchant = await createMerchant(subject);
      const down = await receiver(() => 503);
      const endpoint = await createEndpoint(subject, merchant, down.url(), ['payment.succeeded']);
      await paidPayment(merchant);
      const attempts = await eventually(
        () => deliveriesOf(subject, merchant, endpoint.id),
        (recorded) => recorded.length === 3,
        { what: 'three failed attempts' },
      );
      const jobId = webhookDeliveryJobId(endpoint.id, attempts[0]!.event_id);
      const queue = webhooksQueue();
      try {
        await eventually(
          async () => (await queue.getJob(jobId))?.getState(),
          (state) => state === 'failed',
          { what: 'the dead-lettered job' },
        );
        const dead = await queue.getJob(jobId);
        expect(dead?.attemptsMade).toBe(3);
        expect(dead?.failedReason).toBe('the endpoint answered HTTP 503');
        const board = await subject.inject({
          method: 'GET',
          url: `/admin/queues/api/queues?activeQueue=${WEBHOOKS_QUEUE}&status=failed`,
          headers: { authorization: dashboardAuth },
        });
        expect(board.statusCode).toBe(200);
        expect(board.body).toContain(jobId);

        down.answerWith(() => 204);
        const retried = await subject.inject({
          method: 'PUT',
          url: `/admin/queues/api/queues/${WEBHOOKS_QUEUE}/${jobId}/retry`,
          headers: { authorization: dashboardAuth },
        });
        expect(retried.statusCode).toBe(204);
        await eventually(
          async () => (await queue.getJob(jobId))?.getState(),
          (state) => state === 'completed',
          { what: 'the retried job completing' },
        );
      } finally {
        await queue.close();
      }
      expect(down.deliveries).toHaveLength(4);
      const afterRetry = await deliveriesOf(subject, merchant, endpoint.id);
      expect(afterRetry.map((attempt) => [attempt.attempt, attempt.status_code])).toEqual([
        [4, 204],
        [3, 503],
        [2, 503],
        [1, 503],
      ]);
    });

    it('records a receiver that does not answer within the timeout as a failed attempt, and retries it', async () => {
      const merchant = await createMerchant(subject);
      const slow = await receiver((_delivery, index) => (index === 0 ? 'hang' : 200));
      const endpoint = await createEndpoint(subject, merchant, slow.url(), ['payment.succeeded']);
      await paidPayment(merchant);
      const attempts = await eventually(
        () => deliveriesOf(subject, merchant, endpoint.id),
        (recorded) => recorded.length === 2,
        { what: 'a timed-out attempt and its retry' },
      );
      const [second, first] = attempts;
      expect(first).toMatchObject({ attempt: 1, status_code: null, succeeded: false });
      expect(first!.error).toMatch(/^timeout: no answer within 500 ms/);
      expect(first!.duration_ms).toBeGreaterThanOrEqual(500);
      expect(first!.duration_ms).toBeLessThan(1500);
      expect(second).toMatchObject({ attempt: 2, status_code: 200, succeeded: true });
      measurements.timedOutAttemptMs = first!.duration_ms;
    });

    it('records an unreachable receiver, and delivers nothing to a deleted endpoint', async () => {
      const merchant = await createMerchant(subject);
      const gone = await receiver();
      const url = gone.url();
      await gone.close();
      receivers.splice(receivers.indexOf(gone), 1);
      const unreachable = await createEndpoint(subject, merchant, url, ['payment.succeeded']);
      const live = await receiver();
      const removed = await createEndpoint(subject, merchant, live.url(), ['*']);
      await subject.inject({ method: 'DELETE', url: `/v1/webhook_endpoints/${removed.id}`, headers: merchant.headers });
      const kept = await createEndpoint(subject, merchant, live.url('/kept'), ['payment.succeeded']);
      await paidPayment(merchant);
      const attempts = await eventually(
        () => deliveriesOf(subject, merchant, unreachable.id),
        (recorded) => recorded.length >= 1,
        { what: 'an attempt at the unreachable endpoint' },
      );
      expect(attempts.at(-1)).toMatchObject({ attempt: 1, status_code: null, succeeded: false });
      expect(attempts.at(-1)!.error).toMatch(/ECONNREFUSED/);
      await eventually(
        current(() => live.deliveries.length),
        (count) => count === 1,
        { what: 'the delivery to the kept endpoint' },
      );
      expect(live.deliveries.map((delivery) => delivery.path)).toEqual(['/kept']);
      // The receiver answers before the worker records the attempt: the record comes a moment after.
      const recorded = await eventually(
        () => deliveriesOf(subject, merchant, kept.id),
        (deliveries) => deliveries.length >= 1,
        { what: 'the recorded delivery to the kept endpoint' },
      );
      expect(recorded[0]).toMatchObject({ status_code: 200 });
    });
  });
});

describe('webhooks across APP_ROLE processes', () => {
  const databaseName = uniqueDatabaseName();
  const names = newTestNamespace();
  const shared = {
    ...fastProcessing,
    ...shortSchedule,
    DATABASE_URL: `${postgresServerUrl}/${databaseName}`,
    ...names.environment,
  };
  let api: TestApp;
  let worker: TestApp;
  let relay: TestApp;
  let target: WebhookReceiver;

  beforeAll(async () => {
    api = await startTestApp({ ...shared, APP_ROLE: 'api' });
    worker = await startTestApp({ ...shared, APP_ROLE: 'worker' });
    relay = await startTestApp({ ...shared, APP_ROLE: 'relay' });
    target = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await api.close();
    await worker.close();
    await relay.close();
    await target.close();
    await names.remove();
    await dropDatabase(databaseName);
  });

  it('serves endpoints in api, publishes in relay, fans out and delivers in worker', async () => {
    const merchant = await createMerchant(api);
    const endpoint = await createEndpoint(api, merchant, target.url(), ['payment.succeeded']);
    const created = await createPayment(api, merchant, paymentBody());
    await settledPayment(api, merchant, created.json<PaymentBody>().id);
    await eventually(
      current(() => target.deliveries.length),
      (count) => count === 1,
      { what: 'the delivery made by the worker' },
    );
    expect(
      verifyWebhookSignature({
        header: target.deliveries[0]!.headers['payments-signature'] as string,
        rawBody: target.deliveries[0]!.rawBody,
        secret: endpoint.secret,
      }),
    ).toBe(true);
    // Only the worker runs the RabbitMQ subscriber and the delivery processor; only the api serves HTTP routes.
    expect(api.app.getMicroservices()).toHaveLength(0);
    expect(worker.app.getMicroservices()).toHaveLength(1);
    expect(relay.app.getMicroservices()).toHaveLength(0);
    expect(() => api.app.get(WebhookDeliveryProcessor)).toThrow();
    expect(() => relay.app.get(WebhookDeliveryProcessor)).toThrow();
    for (const role of [worker, relay]) {
      const response = await role.inject({ method: 'GET', url: '/v1/webhook_endpoints', headers: merchant.headers });
      expect(response.statusCode).toBe(404);
      const events = await role.inject({ method: 'GET', url: '/v1/events', headers: merchant.headers });
      expect(events.statusCode).toBe(404);
    }
  });
});

describe('webhooks on a broker where no worker has run yet', () => {
  const databaseName = uniqueDatabaseName();
  const names = newTestNamespace();
  const shared = {
    ...fastProcessing,
    ...shortSchedule,
    DATABASE_URL: `${postgresServerUrl}/${databaseName}`,
    ...names.environment,
  };
  let api: TestApp;
  let relay: TestApp;
  let worker: TestApp | undefined;
  let target: WebhookReceiver;

  beforeAll(async () => {
    // A fresh exchange and queue names: nothing has declared the webhooks queue when the relay starts publishing.
    api = await startTestApp({ ...shared, APP_ROLE: 'api' });
    relay = await startTestApp({ ...shared, APP_ROLE: 'relay' });
    target = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await api.close();
    await relay.close();
    await worker?.close();
    await target.close();
    await names.remove();
    await dropDatabase(databaseName);
  });

  it('keeps the events published before the first worker starts, and delivers them once it does', async () => {
    const merchant = await createMerchant(api);
    await createEndpoint(api, merchant, target.url(), ['payment.processing', 'payment.succeeded']);
    const created = await createPayment(api, merchant, paymentBody());
    const paymentId = created.json<PaymentBody>().id;
    const database = relay.app.get(Database);
    await eventually(
      async () => {
        const result = await database.db.execute<{ unsent: string }>(
          sql`SELECT count(*) AS unsent FROM outbox WHERE topic = 'event.publish' AND sent_at IS NULL`,
        );
        return Number(result.rows[0]!.unsent);
      },
      (unsent) => unsent === 0,
      { what: 'the payment.processing event confirmed by RabbitMQ' },
    );
    // Processed by the worker, which starts only now: its queue already holds what the relay published.
    worker = await startTestApp({ ...shared, APP_ROLE: 'worker' });
    await settledPayment(api, merchant, paymentId);
    await eventually(
      current(() => target.deliveries.map((delivery) => (JSON.parse(delivery.rawBody) as EventObject).type).sort()),
      (types) => types.length === 2,
      { what: 'both events delivered' },
    );
    expect(target.deliveries.map((delivery) => (JSON.parse(delivery.rawBody) as EventObject).type).sort()).toEqual([
      'payment.processing',
      'payment.succeeded',
    ]);
  });
});
