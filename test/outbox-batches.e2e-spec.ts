import { randomBytes } from 'node:crypto';
import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { Client } from 'pg';
import { outboxLimits } from '../src/outbox/outbox.limits';
import { AUTHORIZE_PAYMENT_TOPIC, PAYMENTS_QUEUE } from '../src/payments/payments.constants';
import { eventually } from './support/api';
import { EventsConsumer } from './support/events-consumer';
import { current } from './support/events-polling';
import { rabbitmqServerUrl } from './support/events-rabbitmq';
import { TcpProxy } from './support/events-tcp-proxy';
import { OwnRedis } from './support/own-redis';
import { startTestApp, type TestApp } from './support/test-app';

interface OutboxRow {
  id: string;
  sent: boolean;
  attempts: number;
  lastError: string | null;
  /** The transaction and the command within it that wrote the row's current version (xmin, cmin). */
  writtenBy: string;
}

/** An event to write: its ordering key (the payment), its type, and whether its stored event is left out. */
interface EventToWrite {
  paymentId: string;
  type: string;
  storedEventMissing?: boolean;
  /** Its outbox row has no ordering key. */
  malformed?: boolean;
}

interface WrittenEvent extends EventToWrite {
  outboxId: string;
  eventId: string;
}

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

/**
 * The relay in the `relay` role (no workers take the jobs, no HTTP), on a Redis of the test's own (stopped in one
 * test) and on RabbitMQ through a proxy the test owns. Rows are written straight into the outbox, in one
 * transaction each time, so the relay sees them together: one batch.
 */
describe('outbox relay: one batch per pass (issue 13)', () => {
  let redis: OwnRedis;
  let proxy: TcpProxy;
  let subject: TestApp;
  let sql: Client;
  let consumer: EventsConsumer;
  let queue: Queue;
  let merchantId: string;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    const broker = new URL(rabbitmqServerUrl);
    proxy = await TcpProxy.start(broker.hostname, Number(broker.port || 5672));
    subject = await startTestApp({
      APP_ROLE: 'relay',
      REDIS_URL: redis.url,
      RABBITMQ_URL: proxy.url(`${broker.username}:${broker.password}`),
      OUTBOX_POLL_INTERVAL_MS: '50',
    });
    sql = new Client({ connectionString: subject.config.database.url });
    await sql.connect();
    consumer = await EventsConsumer.start(subject.config.rabbitmq.eventsExchange);
    queue = subject.app.get<Queue>(getQueueToken(PAYMENTS_QUEUE));
    merchantId = newId('mer');
    await sql.query(`INSERT INTO merchants (id, name) VALUES ($1, 'Batches')`, [merchantId]);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    proxy.releaseReplies();
  });
  afterAll(async () => {
    await consumer?.close();
    await sql?.end();
    await subject?.close();
    await proxy?.close();
    await redis?.stop();
  });

  async function commitRows(write: () => Promise<void>): Promise<void> {
    await sql.query('BEGIN');
    try {
      await write();
      await sql.query(`SELECT pg_notify('outbox', '')`);
      await sql.query('COMMIT');
    } catch (error) {
      await sql.query('ROLLBACK');
      throw error;
    }
  }

  /** `count` payment.authorize rows in one transaction; their ids in outbox order. */
  async function writeJobRows(count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, () => newId('obx'));
    await commitRows(async () => {
      await sql.query(
        `INSERT INTO outbox (id, topic, payload)
         SELECT id, $2, jsonb_build_object('paymentId', 'pay_' || id) FROM unnest($1::text[]) WITH ORDINALITY AS r (id, n)
         ORDER BY n`,
        [ids, AUTHORIZE_PAYMENT_TOPIC],
      );
    });
    return ids;
  }

  /** Events and their event.publish rows in one transaction, in the order given. */
  async function writeEvents(events: EventToWrite[]): Promise<WrittenEvent[]> {
    const written = events.map((event) => ({ ...event, outboxId: newId('obx'), eventId: newId('evt') }));
    await commitRows(async () => {
      for (const event of written) {
        if (!event.storedEventMissing) await storeEvent(event);
        await sql.query(`INSERT INTO outbox (id, topic, payload) VALUES ($1, 'event.publish', $2)`, [
          event.outboxId,
          event.malformed ? { eventId: event.eventId } : { eventId: event.eventId, orderingKey: event.paymentId },
        ]);
      }
    });
    return written;
  }

  async function storeEvent(event: WrittenEvent): Promise<void> {
    await sql.query(`INSERT INTO events (id, merchant_id, type, object_id, data) VALUES ($1, $2, $3, $4, $5)`, [
      event.eventId,
      merchantId,
      event.type,
      event.paymentId,
      { object: { id: event.paymentId, object: 'payment' } },
    ]);
  }

  async function outboxRows(ids: string[]): Promise<OutboxRow[]> {
    const { rows } = await sql.query<OutboxRow>(
      `SELECT id, sent_at IS NOT NULL AS sent, attempts, last_error AS "lastError", xmin || '/' || cmin AS "writtenBy"
       FROM outbox WHERE id = ANY($1::text[]) ORDER BY sequence`,
      [ids],
    );
    return rows;
  }

  const allSent = (rows: OutboxRow[]) => rows.every((row) => row.sent);

  /** The event types the consumer received about a payment, in arrival order (each copy). */
  const typesOf = (paymentId: string) => consumer.about(paymentId).map((message) => message.routingKey);

  it('adds a batch of job rows with one addBulk, jobId = outbox id, and marks it sent with one statement', async () => {
    const addBulk = jest.spyOn(queue, 'addBulk');
    const add = jest.spyOn(queue, 'add');
    const ids = await writeJobRows(outboxLimits.batchSize);

    const rows = await eventually(() => outboxRows(ids), allSent, { what: 'the batch marked sent' });
    expect(rows.map((row) => row.attempts)).toEqual(ids.map(() => 1));
    expect(new Set(rows.map((row) => row.writtenBy)).size).toBe(1);
    expect(add).not.toHaveBeenCalled();
    expect(addBulk).toHaveBeenCalledTimes(1);
    const jobs = addBulk.mock.calls[0]![0];
    expect(jobs.map((job) => job.opts?.jobId)).toEqual(ids);
    const stored = await queue.getJob(ids[0]!);
    expect(stored?.data).toEqual({ paymentId: `pay_${ids[0]}` });
    expect(stored?.opts).toMatchObject({ attempts: subject.config.payments.attemptsMax });
    expect(await queue.getJobCountByTypes('waiting')).toBe(ids.length);
  });

  it('marks none of a batch sent when its queue Redis fails, one attempt each, and adds each job once after', async () => {
    await queue.obliterate({ force: true });
    await redis.stop();
    const ids = await writeJobRows(50);
    try {
      const failed = await eventually(
        () => outboxRows(ids),
        (rows) => rows.every((row) => row.attempts >= 1),
        { what: 'every row of the batch counted as an attempt' },
      );
      expect(failed.filter((row) => row.sent)).toEqual([]);
      // The failed rows are marked by one statement too, with the batch's error.
      expect(new Set(failed.map((row) => row.writtenBy)).size).toBe(1);
      expect(failed[0]!.lastError).toMatch(/did not answer|ECONNREFUSED|Connection is closed|writeable/);
    } finally {
      await redis.start();
    }
    await eventually(() => outboxRows(ids), allSent, { what: 'the batch sent once Redis is back' });
    expect(await queue.getJobCountByTypes('waiting')).toBe(ids.length);
  });

  it('publishes each payment’s events in order when a batch mixes payments and one fails, and lets the others go on', async () => {
    const [a, b, c] = [newId('pay'), newId('pay'), newId('pay')];
    const written = await writeEvents([
      { paymentId: a, type: 'payment.processing' },
      { paymentId: b, type: 'payment.processing', storedEventMissing: true },
      { paymentId: newId('pay'), type: 'payment.processing', malformed: true },
      { paymentId: c, type: 'payment.processing' },
      { paymentId: a, type: 'payment.requires_capture' },
      { paymentId: b, type: 'payment.succeeded' },
      { paymentId: c, type: 'payment.failed' },
      { paymentId: a, type: 'payment.succeeded' },
    ]);
    const [bFirst, bSecond] = written.filter((event) => event.paymentId === b) as [WrittenEvent, WrittenEvent];
    const malformed = written.find((event) => event.malformed)!;

    // a's and c's events go out while b's first one fails: b's second is held, not attempted.
    const others = written.filter((event) => event.paymentId !== b && !event.malformed);
    await eventually(() => outboxRows(others.map((event) => event.outboxId)), allSent, {
      what: 'the events of the other payments sent',
    });
    await eventually(
      () => outboxRows([bFirst.outboxId]),
      ([row]) => row!.attempts >= 2,
      { what: 'the failing event retried' },
    );
    const [first, unreadable, second] = await outboxRows([bFirst.outboxId, malformed.outboxId, bSecond.outboxId]);
    expect(first).toMatchObject({ sent: false, lastError: expect.stringContaining('not found') });
    expect(unreadable).toMatchObject({ sent: false, lastError: expect.stringContaining('malformed') });
    expect(second).toMatchObject({ sent: false, attempts: 0, lastError: null });
    // What an operator does with a row that can never be published: it no longer holds the relay's attention.
    await sql.query('DELETE FROM outbox WHERE id = $1', [malformed.outboxId]);
    expect(typesOf(b)).toEqual([]);
    await eventually(
      current(() => [typesOf(a), typesOf(c)]),
      ([forA, forC]) => forA!.length === 3 && forC!.length === 2,
      { what: 'the other payments’ events on the consumer queue' },
    );
    expect(typesOf(a)).toEqual(['payment.processing', 'payment.requires_capture', 'payment.succeeded']);
    expect(typesOf(c)).toEqual(['payment.processing', 'payment.failed']);

    // Once b's first event can be published, both of b's go out, in order.
    await storeEvent(bFirst);
    await eventually(() => outboxRows([bFirst.outboxId, bSecond.outboxId]), allSent, { what: 'b’s events sent' });
    await eventually(
      current(() => typesOf(b)),
      (types) => types.length >= 2,
      { what: 'b’s events received' },
    );
    expect(typesOf(b)).toEqual(['payment.processing', 'payment.succeeded']);
  });

  it('does not publish a batch again when the transaction that marked it is lost after the confirms', async () => {
    const [d, e, warmUp] = [newId('pay'), newId('pay'), newId('pay')];
    // The client connected first (it connects on its first publish), so that only the confirms are held.
    const [first] = await writeEvents([{ paymentId: warmUp, type: 'payment.processing' }]);
    await eventually(() => outboxRows([first!.outboxId]), allSent, { what: 'an event published before' });
    proxy.holdReplies();
    const written = await writeEvents([
      { paymentId: d, type: 'payment.processing' },
      { paymentId: e, type: 'payment.processing' },
      { paymentId: d, type: 'payment.succeeded' },
    ]);
    // RabbitMQ has the first event (the consumer got it) but its confirm is held: the relay's transaction waits.
    await eventually(
      current(() => typesOf(d)),
      (types) => types.length > 0,
      {
        intervalMs: 5,
        what: 'the first event on the broker',
      },
    );
    const waiting = await eventually(
      async () =>
        (
          await sql.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND state = 'idle in transaction' AND now() - state_change > interval '50 milliseconds'`,
          )
        ).rows,
      (rows) => rows.length === 1,
      { intervalMs: 5, what: 'the relay waiting for the confirms in its transaction' },
    );
    await sql.query('SELECT pg_terminate_backend($1)', [waiting[0]!.pid]);
    proxy.releaseReplies();

    const ids = written.map((event) => event.outboxId);
    await eventually(() => outboxRows(ids), allSent, { what: 'the events marked sent by a later pass' });
    await eventually(
      current(() => typesOf(d)),
      (types) => types.length >= 2,
      { what: 'd’s events received' },
    );
    // The RabbitMQ round trip of a copy published again would be done by now (confirms before marking).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(typesOf(d)).toEqual(['payment.processing', 'payment.succeeded']);
    expect(typesOf(e)).toEqual(['payment.processing']);
  });
});
