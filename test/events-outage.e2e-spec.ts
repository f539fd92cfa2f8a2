import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import { Database } from '../src/database/database';
import {
  createMerchant,
  createPayment,
  eventually,
  type Merchant,
  type PaymentBody,
  paymentBody,
  settledPayment,
} from './support/api';
import { EventsConsumer } from './support/events-consumer';
import { rabbitmqServerUrl } from './support/events-rabbitmq';
import { TcpProxy } from './support/events-tcp-proxy';
import { current } from './support/events-polling';
import { fastProcessing } from './support/fast-processing';
import { startTestApp, type TestApp } from './support/test-app';
import { createEndpoint } from './support/webhooks-api';
import { WebhookReceiver } from './support/webhooks-receiver';

const measurements: Record<string, unknown> = {};

describe('events when RabbitMQ is cut off (through a proxy the test owns)', () => {
  let proxy: TcpProxy;
  let subject: TestApp;
  let database: Database;
  let consumer: EventsConsumer;
  let merchant: Merchant;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    const broker = new URL(rabbitmqServerUrl);
    proxy = await TcpProxy.start(broker.hostname, Number(broker.port || 5672));
    subject = await startTestApp({
      ...fastProcessing,
      RABBITMQ_URL: proxy.url(`${broker.username}:${broker.password}`),
      HEALTH_CHECK_TIMEOUT_MS: '300',
    });
    database = subject.app.get(Database);
    // The test's subscriber talks to RabbitMQ directly: only the app is cut off.
    consumer = await EventsConsumer.start(subject.config.rabbitmq.eventsExchange);
    merchant = await createMerchant(subject);
    receiver = await WebhookReceiver.start();
    await createEndpoint(subject, merchant, receiver.url(), ['*']);
  });
  afterAll(async () => {
    await consumer.close();
    await subject.close();
    await proxy.close();
    await receiver.close();
    console.log(`events outage measurements: ${JSON.stringify(measurements)}`);
  });

  async function unsentEventRows(): Promise<number> {
    const result = await database.db.execute<{ count: string }>(
      sql`SELECT count(*) FROM outbox WHERE topic = 'event.publish' AND sent_at IS NULL`,
    );
    return Number(result.rows[0]!.count);
  }

  async function eventIdsOf(paymentIds: string[]): Promise<string[]> {
    const result = await database.db.execute<{ id: string }>(
      sql`SELECT id FROM events WHERE object_id = ANY(${`{${paymentIds.join(',')}}`}::text[])`,
    );
    return result.rows.map((row) => row.id);
  }

  it('keeps accepting and processing payments during the cut, and publishes every event once it is back', async () => {
    const before = await createPayment(subject, merchant);
    const beforeId = before.json<PaymentBody>().id;
    await settledPayment(subject, merchant, beforeId);
    await eventually(
      current(() => consumer.about(beforeId).length),
      (count) => count === 2,
      { what: 'events before the cut' },
    );

    await proxy.cut();
    const ready = await eventually(
      () => subject.inject({ method: 'GET', url: '/health/ready' }),
      (response) => response.statusCode === 503,
      { what: 'readiness reporting RabbitMQ down' },
    );
    expect(Object.keys(ready.json<{ down: object }>().down)).toEqual(['rabbitmq']);

    const burst: string[] = [];
    for (let index = 0; index < 30; index += 1) {
      const response = await createPayment(subject, merchant, paymentBody({ amount: 1000 + index }));
      expect(response.statusCode).toBe(202);
      burst.push(response.json<PaymentBody>().id);
    }
    // Only the event topic stalls: the authorization jobs still reach Redis and the payments complete.
    for (const id of burst) expect((await settledPayment(subject, merchant, id)).status).toBe('succeeded');
    const expected = await eventIdsOf(burst);
    expect(expected).toHaveLength(60);
    // The burst's events all wait in the outbox (an event from before the cut may also still await its confirm).
    const unsentOfBurst = await database.db.execute<{ count: string }>(sql`
      SELECT count(*) FROM outbox WHERE topic = 'event.publish' AND sent_at IS NULL
        AND payload->>'eventId' = ANY(${`{${expected.join(',')}}`}::text[])`);
    expect(Number(unsentOfBurst.rows[0]!.count)).toBe(60);
    expect(burst.some((id) => consumer.about(id).length > 0)).toBe(false);

    const restoredAtMs = Date.now();
    await proxy.restore();
    await eventually(
      current(() => consumer.distinctEventIds()),
      (received) => expected.every((id) => received.has(id)),
      { deadlineMs: 30_000, what: 'every event of the burst on the consumer queue' },
    );
    const drainMs = Date.now() - restoredAtMs;
    for (const id of burst) {
      const firstSeen = [...new Set(consumer.about(id).map((message) => message.routingKey))];
      expect(firstSeen).toEqual(['payment.processing', 'payment.succeeded']);
    }
    await eventually(unsentEventRows, (unsent) => unsent === 0, { what: 'the outbox drained' });
    // The webhook fan-out reconnected too: every event of the burst reaches the endpoint.
    const delivered = await eventually(
      current(
        () => new Set(receiver.deliveries.map((delivery) => (JSON.parse(delivery.rawBody) as { id: string }).id)),
      ),
      (ids) => expected.every((id) => ids.has(id)),
      { deadlineMs: 30_000, what: 'every event of the burst delivered as a webhook' },
    );
    measurements.webhookDeliveriesAfterRestoreMs = Date.now() - restoredAtMs;
    measurements.webhookEventsDelivered = [...delivered].filter((id) => expected.includes(id)).length;
    const burstMessages = consumer.received.filter((message) => burst.includes(message.event.data.object.id));
    Object.assign(measurements, {
      paymentsDuringCut: burst.length,
      eventsExpected: expected.length,
      eventsReceivedDistinct: new Set(burstMessages.map((message) => message.event.id)).size,
      messagesReceived: burstMessages.length,
      duplicates: burstMessages.length - expected.length,
      drainAfterRestoreMs: drainMs,
    });
    const readyAgain = await eventually(
      () => subject.inject({ method: 'GET', url: '/health/ready' }),
      (response) => response.statusCode === 200,
      { what: 'readiness after the broker is back' },
    );
    expect(readyAgain.statusCode).toBe(200);
  });

  it('marks an event sent only once RabbitMQ has confirmed it, not when it was written to the socket', async () => {
    proxy.holdReplies();
    const logLinesBefore = subject.logs.lines.length;
    let paymentId: string;
    try {
      const created = await createPayment(subject, merchant);
      expect(created.statusCode).toBe(202);
      paymentId = created.json<PaymentBody>().id;
      const [eventId] = await eventIdsOf([paymentId]);
      // The broker has the message (the consumer got it), but its confirm is held back by the proxy.
      await eventually(
        current(() => consumer.about(paymentId).map((message) => message.event.id)),
        (ids) => ids.includes(eventId!),
        { what: 'the message reaching the broker' },
      );
      await eventually(
        current(() =>
          subject.logs
            .records()
            .slice(logLinesBefore)
            .some((record) => String(record.msg).startsWith('outbox relay stalled')),
        ),
        (stalled) => stalled,
        { what: 'the relay giving the unconfirmed publish up' },
      );
      const row = await database.db.execute<{ sent_at: string | null }>(
        sql`SELECT sent_at FROM outbox WHERE topic = 'event.publish' AND payload->>'eventId' = ${eventId!}`,
      );
      expect(row.rows[0]!.sent_at).toBeNull();
    } finally {
      proxy.releaseReplies();
    }
    await settledPayment(subject, merchant, paymentId);
    await eventually(unsentEventRows, (unsent) => unsent === 0, { what: 'the event marked sent after the confirm' });
    const types = [...new Set(consumer.about(paymentId).map((message) => message.routingKey))];
    expect(types).toEqual(['payment.processing', 'payment.succeeded']);
    measurements.copiesOfTheHeldEvent = consumer
      .about(paymentId)
      .filter((m) => m.routingKey === 'payment.processing').length;
  });

  it('publishes a payment’s later event only after its earlier one, even while another relay holds the earlier row', async () => {
    await proxy.cut();
    let paymentId: string;
    const otherRelay = new Client({ connectionString: subject.config.database.url });
    await otherRelay.connect();
    try {
      const created = await createPayment(subject, merchant);
      paymentId = created.json<PaymentBody>().id;
      expect((await settledPayment(subject, merchant, paymentId)).status).toBe('succeeded');
      // Another relay process has taken the payment.processing row (FOR UPDATE, as drainOnce does) and not
      // published it yet; this relay skips it (SKIP LOCKED) and comes to payment.succeeded.
      await otherRelay.query('BEGIN');
      await otherRelay.query(
        `SELECT o.id FROM outbox o JOIN events e ON e.id = o.payload->>'eventId'
         WHERE e.object_id = $1 AND e.type = 'payment.processing' FOR UPDATE OF o`,
        [paymentId],
      );
      const logLinesBefore = subject.logs.lines.length;
      await proxy.restore();
      await eventually(
        current(() =>
          subject.logs
            .records()
            .slice(logLinesBefore)
            .some((record) => JSON.stringify(record.held ?? '').includes('is not published yet')),
        ),
        (held) => held,
        { what: 'the relay holding payment.succeeded back' },
      );
      expect(consumer.about(paymentId)).toEqual([]);
    } finally {
      await otherRelay.query('ROLLBACK').catch(() => undefined);
      await otherRelay.end();
      await proxy.restore();
    }
    const types = await eventually(
      current(() => consumer.about(paymentId).map((message) => message.routingKey)),
      (received) => received.length >= 2,
      { what: 'both events once the earlier row is free' },
    );
    expect(types).toEqual(['payment.processing', 'payment.succeeded']);
  });
});
