import type { Job } from 'bullmq';
import { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { Database } from '../src/database/database';
import {
  AUTHORIZE_PAYMENT_JOB,
  type AuthorizePaymentJobData,
  PAYMENTS_QUEUE,
  AUTHORIZE_PAYMENT_TOPIC,
} from '../src/payments/payments.constants';
import { PaymentsProcessor } from '../src/payments/payments.processor';
import {
  createMerchant,
  createPayment,
  eventually,
  getPayment,
  type PaymentBody,
  paymentBody,
  settledPayment,
  testCards,
  uniqueKey,
} from './support/api';
import { current } from './support/events-polling';
import { fastProcessing } from './support/fast-processing';
import { OwnRedis } from './support/own-redis';
import { startTestApp, type TestApp, testAdminToken } from './support/test-app';
import { dropDatabase, postgresServerUrl, uniqueDatabaseName } from './support/test-database';
import { newTestNamespace } from './support/test-names';
import { type EndpointBody, postEndpoint } from './support/webhooks-api';
import { WebhookReceiver } from './support/webhooks-receiver';
import { verifyWebhookSignature } from '../packages/client/src';

const dashboardAuth = `Basic ${Buffer.from(`admin:${testAdminToken}`).toString('base64')}`;

/** Drizzle wraps the database's error; the reason PostgreSQL gave is in its cause. */
async function expectRefusal(work: Promise<unknown>, reason: RegExp): Promise<void> {
  const error = await work.then(
    () => undefined,
    (failure: unknown) => failure as Error & { cause?: Error },
  );
  expect(error).toBeDefined();
  expect(error?.cause?.message ?? error?.message).toMatch(reason);
}

/** The payment's own ledger transactions, without the network's fee for capturing it. */
async function ledgerTransactionsOf(database: Database, paymentId: string): Promise<number> {
  const result = await database.db.execute<{ count: string }>(
    sql`SELECT count(*) FROM ledger_transactions WHERE payment_id = ${paymentId} AND kind <> 'network_fee'`,
  );
  return Number(result.rows[0]!.count);
}

/** Every row of every table of the app's schemas, as text, per table. */
async function databaseDump(database: Database): Promise<{ table: string; text: string }[]> {
  const tables = await database.db.execute<{ table_schema: string; table_name: string }>(
    sql`SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('public', 'drizzle')`,
  );
  const dump: { table: string; text: string }[] = [];
  for (const { table_schema: schema, table_name: table } of tables.rows) {
    const rows = await database.db.execute(sql.raw(`SELECT t::text AS row FROM "${schema}"."${table}" t`));
    dump.push({ table: `${schema}.${table}`, text: JSON.stringify(rows.rows) });
  }
  return dump;
}

/** Every key under `prefix` with its value, whatever its type, as text. */
async function redisDump(url: string, prefix: string): Promise<string> {
  const redis = new Redis(url);
  let text = '';
  try {
    for (const key of await redis.keys(`${prefix}*`)) {
      const type = await redis.type(key);
      const value =
        type === 'string'
          ? await redis.get(key)
          : type === 'hash'
            ? await redis.hgetall(key)
            : type === 'list'
              ? await redis.lrange(key, 0, -1)
              : type === 'set'
                ? await redis.smembers(key)
                : type === 'zset'
                  ? await redis.zrange(key, '0', '-1')
                  : type === 'stream'
                    ? await redis.xrange(key, '-', '+')
                    : null;
      text += key + JSON.stringify(value);
    }
  } finally {
    redis.disconnect();
  }
  return text;
}

describe('payment processing', () => {
  let subject: TestApp;
  let database: Database;

  beforeAll(async () => {
    subject = await startTestApp(fastProcessing);
    database = subject.app.get(Database);
  });
  afterAll(async () => {
    await subject.close();
  });

  it('posts to the ledger once when the authorization job runs several times at once and again later', async () => {
    const merchant = await createMerchant(subject);
    const created = await createPayment(subject, merchant);
    const payment = created.json<PaymentBody>();
    const outbox = await database.db.execute<{ id: string }>(
      sql`SELECT id FROM outbox WHERE payload->>'paymentId' = ${payment.id} AND topic = ${AUTHORIZE_PAYMENT_TOPIC}`,
    );
    const job = {
      id: outbox.rows[0]!.id,
      name: AUTHORIZE_PAYMENT_JOB,
      data: { paymentId: payment.id, merchantId: merchant.id },
      attemptsMade: 0,
      opts: { attempts: 5 },
    } as unknown as Job<AuthorizePaymentJobData>;
    const processor = subject.app.get(PaymentsProcessor);
    // Racing the queue's own worker: three executions of one job.
    await Promise.all([processor.process(job), processor.process(job)]);
    await settledPayment(subject, merchant, payment.id);
    const replay = await processor.process(job);
    expect(replay.outcome).toBe('already_final');
    expect(await ledgerTransactionsOf(database, payment.id)).toBe(1);
    const succeededEvents = await database.db.execute(
      sql`SELECT id FROM events WHERE object_id = ${payment.id} AND type = 'payment.succeeded'`,
    );
    expect(succeededEvents.rows).toHaveLength(1);
    expect((await getPayment(subject, merchant, payment.id)).amount_captured).toBe(1099);
  });

  it('refuses ledger edits and unbalanced transactions in the database itself', async () => {
    await expectRefusal(database.db.execute(sql`UPDATE ledger_postings SET amount = amount + 1`), /append-only/);
    await expectRefusal(database.db.execute(sql`DELETE FROM ledger_transactions`), /append-only/);
    await expectRefusal(database.db.execute(sql`TRUNCATE ledger_postings CASCADE`), /append-only/);
    const merchant = await createMerchant(subject, 'Unbalanced');
    await expectRefusal(
      database.transaction(async (tx) => {
        await tx.execute(sql`INSERT INTO ledger_accounts (id, kind, merchant_id, currency)
          VALUES ('acct_unbalanced000000000000001', 'merchant_available', ${merchant.id}, 'USD')`);
        await tx.execute(sql`INSERT INTO ledger_transactions (id, kind, merchant_id)
          VALUES ('ltx_unbalanced00000000000001', 'payment_capture', ${merchant.id})`);
        await tx.execute(sql`INSERT INTO ledger_postings (id, transaction_id, account_id, merchant_id, amount, currency)
          VALUES ('lp_unbalanced000000000000001', 'ltx_unbalanced00000000000001', 'acct_unbalanced000000000000001',
                  ${merchant.id}, 100, 'USD')`);
      }),
      /does not balance/,
    );
  });

  it('leaves a payment whose retries are exhausted failed, with its job in the dead-letter view, retryable', async () => {
    const merchant = await createMerchant(subject);
    const created = await createPayment(subject, merchant, paymentBody({}, { number: testCards.alwaysTimeout }));
    const payment = await settledPayment(subject, merchant, created.json<PaymentBody>().id);
    expect(payment).toMatchObject({ status: 'failed', failure_code: 'processing_error' });
    const outbox = await database.db.execute<{ id: string }>(
      sql`SELECT id FROM outbox WHERE payload->>'paymentId' = ${payment.id} AND topic = ${AUTHORIZE_PAYMENT_TOPIC}`,
    );
    const jobId = outbox.rows[0]!.id;
    const queuesUrl = `/admin/queues/api/queues?activeQueue=${PAYMENTS_QUEUE}&status=failed`;
    const board = await eventually(
      () => subject.inject({ method: 'GET', url: queuesUrl, headers: { authorization: dashboardAuth } }),
      (response) => response.body.includes(jobId),
      { what: 'the failed job in the dashboard' },
    );
    const queues = board.json<{ queues: { name: string; counts: Record<string, number> }[] }>().queues;
    expect(queues.find((queue) => queue.name === PAYMENTS_QUEUE)?.counts.failed).toBeGreaterThanOrEqual(1);

    const retried = await subject.inject({
      method: 'PUT',
      url: `/admin/queues/api/queues/${PAYMENTS_QUEUE}/${jobId}/retry`,
      headers: { authorization: dashboardAuth },
    });
    expect(retried.statusCode).toBe(204);
    const queue = new Queue(PAYMENTS_QUEUE, {
      connection: { url: subject.config.redis.url },
      prefix: subject.config.redis.queuePrefix,
    });
    try {
      await eventually(
        async () => (await queue.getJob(jobId))?.getState(),
        (state) => state === 'completed',
        { what: 'the retried job completing' },
      );
      expect((await queue.getJob(jobId))?.returnvalue).toEqual({ outcome: 'already_final' });
    } finally {
      await queue.close();
    }
    expect((await getPayment(subject, merchant, payment.id)).status).toBe('failed');
    expect(await ledgerTransactionsOf(database, payment.id)).toBe(0);
  });

  it('protects the dashboard with basic auth (admin / ADMIN_TOKEN) on every path', async () => {
    for (const url of ['/admin/queues', '/admin/queues/', '/admin/queues/api/queues']) {
      const anonymous = await subject.inject({ method: 'GET', url });
      expect(anonymous.statusCode).toBe(401);
      expect(anonymous.headers['www-authenticate']).toMatch(/^Basic/);
      const wrong = await subject.inject({
        method: 'GET',
        url,
        headers: { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` },
      });
      expect(wrong.statusCode).toBe(401);
    }
    const page = await subject.inject({
      method: 'GET',
      url: '/admin/queues',
      headers: { authorization: dashboardAuth },
    });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/html/);
  });

  it('never stores, queues or logs a card number or CVC in the clear', async () => {
    const merchant = await createMerchant(subject, 'Scanner');
    const numbers = Object.values(testCards);
    const ids: string[] = [];
    for (const number of numbers) {
      for (const captureMethod of ['automatic', 'manual']) {
        const response = await createPayment(
          subject,
          merchant,
          paymentBody({ capture_method: captureMethod }, { number, cvc: '987' }),
        );
        expect(response.body).not.toContain(number);
        ids.push(response.json<PaymentBody>().id);
      }
    }
    for (const id of ids) await settledPayment(subject, merchant, id);

    const databaseText = (await databaseDump(database)).map(({ text }) => text).join('\n');
    expect(databaseText.length).toBeGreaterThan(1000);
    const redisText = await redisDump(subject.config.redis.url, `${subject.config.redis.queuePrefix}:`);
    expect(redisText.length).toBeGreaterThan(0);
    const logText = subject.logs.text();
    expect(logText.length).toBeGreaterThan(1000);
    for (const number of numbers) {
      expect(databaseText).not.toContain(number);
      expect(redisText).not.toContain(number);
      expect(logText).not.toContain(number);
    }
    // A CVC could only leak under its field name (three digits alone also occur in hashes and timestamps).
    for (const text of [databaseText, redisText, logText]) expect(text).not.toMatch(/\bcvc\b/i);
  });

  it('never stores, queues or logs an API key or a webhook signing secret in the clear', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      const created = await subject.inject({
        method: 'POST',
        url: '/v1/admin/merchants',
        headers: { 'x-admin-token': testAdminToken, 'idempotency-key': uniqueKey('merchant') },
        payload: { name: 'Secret keeper' },
      });
      expect(created.statusCode).toBe(201);
      const body = created.json<{ id: string; api_key: string }>();
      expect(body.api_key).toMatch(/^sk_test_/);
      const merchant = { id: body.id, apiKey: body.api_key, headers: { authorization: `Bearer ${body.api_key}` } };
      const endpointResponse = await postEndpoint(
        subject,
        merchant,
        { url: receiver.url(), enabled_events: ['payment.succeeded'] },
        { 'idempotency-key': uniqueKey('endpoint') },
      );
      expect(endpointResponse.statusCode).toBe(201);
      const endpoint = endpointResponse.json<EndpointBody & { secret: string }>();
      expect(endpoint.secret).toMatch(/^whsec_/);
      const payment = await createPayment(subject, merchant);
      await settledPayment(subject, merchant, payment.json<PaymentBody>().id);
      const [delivery] = await eventually(
        current(() => receiver.deliveries),
        (deliveries) => deliveries.length === 1,
        { what: 'the webhook delivery' },
      );
      expect(
        verifyWebhookSignature({
          header: delivery!.headers['payments-signature'] as string,
          rawBody: delivery!.rawBody,
          secret: endpoint.secret,
        }),
      ).toBe(true);

      const secrets = [body.api_key, endpoint.secret];
      const redisText = await redisDump(subject.config.redis.url, subject.config.redis.queuePrefix);
      expect(redisText.length).toBeGreaterThan(0);
      const logText = subject.logs.text();
      for (const secret of secrets) {
        expect(redisText).not.toContain(secret);
        expect(logText).not.toContain(secret);
      }
      // Nor anything that looks like one, such as a secret of an earlier test of this file.
      const secretPattern = /sk_test_[A-Za-z0-9]|whsec_[A-Za-z0-9]/;
      for (const text of [redisText, logText]) expect(text).not.toMatch(secretPattern);
      const leakingTables = (await databaseDump(database))
        .filter(({ text }) => secrets.some((secret) => text.includes(secret)) || secretPattern.test(text))
        .map(({ table }) => table);
      // Last, so that the other stores are checked first. Passes once idempotent responses are stored sealed:
      // until then public.idempotency_keys holds both creation responses in the clear.
      expect(leakingTables).toEqual([]);
    } finally {
      await receiver.close();
    }
  });
});

describe('payment processing while the queue Redis is down', () => {
  let redis: OwnRedis;
  let subject: TestApp;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    subject = await startTestApp({ ...fastProcessing, REDIS_URL: redis.url, HEALTH_CHECK_TIMEOUT_MS: '300' });
  });
  afterAll(async () => {
    await subject.close();
    await redis.stop();
  });

  it('accepts payments during the outage and completes every one after Redis returns', async () => {
    const merchant = await createMerchant(subject);
    const before = await createPayment(subject, merchant);
    expect((await settledPayment(subject, merchant, before.json<PaymentBody>().id)).status).toBe('succeeded');

    await redis.stop();
    const accepted: string[] = [];
    for (let index = 0; index < 8; index += 1) {
      const response = await createPayment(subject, merchant, paymentBody({ amount: 100 + index }));
      expect(response.statusCode).toBe(202);
      accepted.push(response.json<PaymentBody>().id);
    }
    const ready = await subject.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(Object.keys(ready.json<{ down: object }>().down)).toEqual(['redis']);
    for (const id of accepted) expect((await getPayment(subject, merchant, id)).status).toBe('processing');

    await redis.start();
    for (const id of accepted) {
      const payment = await settledPayment(subject, merchant, id, 60_000);
      expect(payment.status).toBe('succeeded');
    }
    const database = subject.app.get(Database);
    // Nothing acknowledged is lost: every outbox row (jobs and events) is delivered once Redis is back.
    await eventually(
      async () => (await database.db.execute(sql`SELECT id FROM outbox WHERE sent_at IS NULL`)).rows,
      (rows) => rows.length === 0,
      { what: 'the outbox draining' },
    );
  });
});

describe('APP_ROLE', () => {
  const databaseName = uniqueDatabaseName();
  const names = newTestNamespace();
  const shared = {
    ...fastProcessing,
    DATABASE_URL: `${postgresServerUrl}/${databaseName}`,
    ...names.environment,
  };
  let api: TestApp;
  let worker: TestApp;
  let relay: TestApp;

  beforeAll(async () => {
    api = await startTestApp({ ...shared, APP_ROLE: 'api' });
    worker = await startTestApp({ ...shared, APP_ROLE: 'worker' });
    relay = await startTestApp({ ...shared, APP_ROLE: 'relay' });
  });
  afterAll(async () => {
    await api.close();
    await worker.close();
    await relay.close();
    await names.remove();
    await dropDatabase(databaseName);
  });

  it('splits HTTP, relay and worker across processes that together complete a payment', async () => {
    const merchant = await createMerchant(api);
    const created = await createPayment(api, merchant);
    expect(created.statusCode).toBe(202);
    const payment = await settledPayment(api, merchant, created.json<PaymentBody>().id);
    expect(payment.status).toBe('succeeded');
    for (const role of [worker, relay]) {
      const response = await role.inject({ method: 'GET', url: '/v1/payments', headers: merchant.headers });
      expect(response.statusCode).toBe(404);
      expect((await role.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    }
    expect(() => api.app.get(PaymentsProcessor)).toThrow();
  });
});
