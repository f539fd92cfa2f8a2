import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import type { components } from '../packages/client/src';
import { parseConfig } from '../src/config/config.schema';
import { Database } from '../src/database/database';
import {
  clientAs,
  createMerchant,
  createPayment,
  dataOf,
  eventually,
  getPayment,
  type Merchant,
  type PaymentBody,
  paymentBody,
  settledPayment,
  uniqueKey,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { available, balanceOf, postAs, verifyLedger } from './support/money';
import { OwnPgBouncer } from './support/own-pgbouncer';
import { startTestApp, type TestApp } from './support/test-app';
import { dropDatabase, postgresServerUrl, uniqueDatabaseName } from './support/test-database';
import { createEndpoint } from './support/webhooks-api';
import { WebhookReceiver } from './support/webhooks-receiver';

type RefundBody = components['schemas']['Refund'];

// Server connections per database: fewer than the app's pool, so its transactions take turns on them.
const serverConnectionsMax = 3;
const appPoolSize = 8;

/**
 * The app on PostgreSQL through PgBouncer (Debian's, 1.18: no prepared statements in transaction mode) in
 * transaction mode, as a deployment past one machine runs it: DATABASE_URL through PgBouncer with unnamed statements
 * only, DATABASE_DIRECT_URL straight to PostgreSQL (migrations, the relay's LISTEN), and DATABASE_REPLICA_URL
 * through a PgBouncer database of its own (the same PostgreSQL database under another name, so that what reads
 * it can be counted apart).
 */
describe('PostgreSQL through PgBouncer in transaction mode', () => {
  const databaseName = uniqueDatabaseName();
  const replicaAlias = `replica_${databaseName}`;
  // One server connection for every client: what a pooler that loses named statements does to them, for certain.
  const singleServerAlias = `single_${databaseName}`;
  let bouncer: OwnPgBouncer;
  let receiver: WebhookReceiver;
  let subject: TestApp;
  let merchant: Merchant;

  beforeAll(async () => {
    bouncer = await OwnPgBouncer.start({
      defaultPoolSize: serverConnectionsMax,
      databases: { [replicaAlias]: `dbname=${databaseName}`, [singleServerAlias]: 'dbname=postgres pool_size=1' },
    });
    receiver = await WebhookReceiver.start();
    subject = await startTestApp({
      ...fastProcessing,
      // The outbox is polled once a minute: what moves a payment and its events within seconds here is the
      // notification heard on the relay's LISTEN session, which works only on the direct connection.
      OUTBOX_POLL_INTERVAL_MS: '60000',
      DATABASE_URL: bouncer.url(databaseName),
      DATABASE_DIRECT_URL: `${postgresServerUrl}/${databaseName}`,
      DATABASE_REPLICA_URL: bouncer.url(replicaAlias),
      DATABASE_PREPARED_STATEMENTS: 'false',
      DATABASE_POOL_SIZE: String(appPoolSize),
    });
    merchant = await createMerchant(subject);
  });
  afterAll(async () => {
    await subject?.close();
    await receiver?.close();
    await bouncer?.stop();
    await dropDatabase(databaseName);
  });

  const statsOf = async (database: string) => {
    const row = (await bouncer.show('STATS')).find((each) => each.database === database);
    return { transactions: Number(row?.total_xact_count ?? 0), queries: Number(row?.total_query_count ?? 0) };
  };

  it('is as strict as a production PgBouncer: it refuses a connection start-up parameter', async () => {
    const client = new Client({ connectionString: bouncer.url(databaseName), statement_timeout: 1_000 });
    await expect(client.connect()).rejects.toThrow(/unsupported startup parameter: statement_timeout/);
    await client.end().catch(() => undefined);
  });

  it('runs the payment flow through it: payments, capture, refunds, lists, balance, replays, webhooks', async () => {
    const endpoint = await createEndpoint(subject, merchant, receiver.url(), ['payment.succeeded']);
    expect(endpoint.id).toMatch(/^we_/);

    const automatic = await createPayment(subject, merchant, paymentBody({ amount: 1099 }));
    expect(automatic.statusCode).toBe(202);
    const automaticId = automatic.json<PaymentBody>().id;
    expect((await settledPayment(subject, merchant, automaticId)).status).toBe('succeeded');
    // Its event reached the endpoint: relayed to RabbitMQ, fanned out, delivered (all woken by LISTEN).
    await eventually(
      () => Promise.resolve(receiver.deliveries.filter((delivery) => delivery.rawBody.includes(automaticId))),
      (deliveries) => deliveries.length > 0,
      { what: 'the payment.succeeded delivery' },
    );

    const key = uniqueKey('manual');
    const manual = await createPayment(subject, merchant, paymentBody({ amount: 1000, capture_method: 'manual' }), key);
    const manualId = manual.json<PaymentBody>().id;
    expect((await settledPayment(subject, merchant, manualId)).status).toBe('requires_capture');
    const replay = await createPayment(subject, merchant, paymentBody({ amount: 1000, capture_method: 'manual' }), key);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json<PaymentBody>().id).toBe(manualId);

    const captured = await postAs(subject, merchant, `/v1/payments/${manualId}/capture`, { amount: 800 });
    expect(captured.statusCode).toBe(200);
    expect(captured.json<PaymentBody>()).toMatchObject({ status: 'succeeded', amount_captured: 800 });
    const refund = await postAs(subject, merchant, '/v1/refunds', { payment_id: manualId, amount: 300 }, uniqueKey());
    expect(refund.statusCode).toBe(201);
    expect(refund.json<RefundBody>()).toMatchObject({ amount: 300, status: 'succeeded' });

    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(1099 + 800 - 300);
    const listed = dataOf(await clientAs(subject, merchant).GET('/v1/payments', { params: { query: {} } }), 'list');
    expect(listed.data.map((payment) => payment.id).sort()).toEqual([automaticId, manualId].sort());
    const entries = dataOf(
      await clientAs(subject, merchant).GET('/v1/ledger/entries', { params: { query: {} } }),
      'entries',
    );
    expect(entries.data.length).toBeGreaterThan(0);
    expect((await verifyLedger(subject)).balanced).toBe(true);
  });

  it('went through PgBouncer, its transactions taking turns on a few server connections', async () => {
    const stats = await statsOf(databaseName);
    expect(stats.transactions).toBeGreaterThan(20);
    const servers = (await bouncer.show('SERVERS')).filter((server) => server.database === databaseName);
    expect(servers.length).toBeGreaterThan(0);
    expect(servers.length).toBeLessThanOrEqual(serverConnectionsMax);

    // Twice as many transactions at once as there are server connections: all commit, on at most that many
    // PostgreSQL sessions.
    const database = subject.app.get(Database);
    const backends = await Promise.all(
      Array.from({ length: 2 * serverConnectionsMax }, () =>
        database.transaction(async (tx) => {
          const { rows } = await tx.execute<{ pid: number }>(sql`SELECT pg_backend_pid() AS pid, pg_sleep(0.05)`);
          return rows[0]!.pid;
        }),
      ),
    );
    expect(backends).toHaveLength(2 * serverConnectionsMax);
    expect(new Set(backends).size).toBeLessThanOrEqual(serverConnectionsMax);
  });

  it('leaves no session state behind on the server connections: no advisory lock is held', async () => {
    const direct = new Client({ connectionString: `${postgresServerUrl}/${databaseName}` });
    await direct.connect();
    try {
      const { rows } = await direct.query<{ count: string }>(
        `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database =
           (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      expect(Number(rows[0]!.count)).toBe(0);
    } finally {
      await direct.end();
    }
  });

  it('reads the lists on the replica, and single objects and the balance on the primary', async () => {
    const client = clientAs(subject, merchant);
    const payments = dataOf(await client.GET('/v1/payments', { params: { query: { limit: 1 } } }), 'list');
    const [newest] = payments.data;
    const events = dataOf(await client.GET('/v1/events', { params: { query: { limit: 1 } } }), 'events');

    const beforeReads = await statsOf(replicaAlias);
    await getPayment(subject, merchant, newest!.id);
    dataOf(await client.GET('/v1/events/{id}', { params: { path: { id: events.data[0]!.id } } }), 'event');
    await balanceOf(subject, merchant);
    expect((await statsOf(replicaAlias)).queries).toBe(beforeReads.queries);

    const beforeLists = await statsOf(replicaAlias);
    const next = dataOf(
      await client.GET('/v1/payments', { params: { query: { limit: 1, starting_after: newest!.id } } }),
      'next page',
    );
    expect(next.data).toHaveLength(1);
    dataOf(await client.GET('/v1/ledger/entries', { params: { query: { limit: 2 } } }), 'entries');
    // At least a statement per list (the page after a cursor reads the cursor, then the page).
    expect((await statsOf(replicaAlias)).queries - beforeLists.queries).toBeGreaterThanOrEqual(2);

    const beforeEvents = await statsOf(replicaAlias);
    dataOf(await client.GET('/v1/events', { params: { query: { limit: 1 } } }), 'events again');
    expect((await statsOf(replicaAlias)).queries - beforeEvents.queries).toBeGreaterThanOrEqual(1);

    const ready = await subject.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().details.postgres_replica).toEqual({ status: 'up' });
  });

  it('says clearly when a pooler loses named statements, and carries on with unnamed ones', async () => {
    const database = new Database(
      parseConfig({ DATABASE_URL: bouncer.url(singleServerAlias), DATABASE_PREPARED_STATEMENTS: 'true' }),
    );
    const [first, second] = [await database.pool.connect(), await database.pool.connect()];
    try {
      const hot = { text: 'SELECT $1::int + 1 AS next /* named */' };
      // The third sending is named and prepared on the one server connection, for `first` only.
      for (let round = 0; round < 3; round += 1) await first.query(hot, [round]);
      // `second` prepares it too, on the same server connection, which already holds it.
      const lost = await second.query(hot, [1]).catch((error: unknown) => error);
      expect(lost).toBeInstanceOf(Error);
      expect((lost as Error).message).toMatch(/DATABASE_PREPARED_STATEMENTS=false/);
      expect((lost as Error & { cause: { code: string } }).cause.code).toBe('42P05');
      // From then on, unnamed: both clients' statements run again.
      const after = await Promise.all([first.query(hot, [41]), second.query(hot, [1])]);
      expect(after.map((result) => (result.rows[0] as { next: number }).next)).toEqual([42, 2]);
    } finally {
      first.release();
      second.release();
      await database.onApplicationShutdown();
    }
  });
});
