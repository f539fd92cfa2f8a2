import { sql } from 'drizzle-orm';
import { Database } from '../src/database/database';
import { outboxLimits } from '../src/outbox/outbox.limits';
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
import { current } from './support/events-polling';
import { rabbitmqServerUrl } from './support/events-rabbitmq';
import { TcpProxy } from './support/events-tcp-proxy';
import { fastProcessing } from './support/fast-processing';
import { startTestApp, type TestApp } from './support/test-app';

// More payments than one relay window: each payment writes a job row and an event row, and its authorization
// writes a second event, so the event rows waiting for RabbitMQ outnumber the window several times over.
const paymentsDuringCut = outboxLimits.batchSize + 100;
const creationConcurrency = 8;
const eventTypesInOrder = ['payment.processing', 'payment.succeeded'];

const measurements: Record<string, unknown> = {};

interface TopicLag {
  oldestAgeSeconds: number;
  unsent: number;
}

/** The outbox lag gauges of one topic as /metrics reports them; a topic with no sample reads as undefined. */
function topicLag(metricsText: string, topic: string): Partial<TopicLag> {
  const sample = (name: string): number | undefined => {
    const line = metricsText.split('\n').find((text) => text.startsWith(`${name}{topic="${topic}"} `));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };
  return {
    oldestAgeSeconds: sample('outbox_oldest_unsent_age_seconds'),
    unsent: sample('outbox_unsent_rows'),
  };
}

describe('outbox relay: a stalled topic does not hold back the others (issue #11)', () => {
  let proxy: TcpProxy;
  let subject: TestApp;
  let database: Database;
  let consumer: EventsConsumer;
  let merchant: Merchant;

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
  });
  afterAll(async () => {
    await consumer?.close();
    await subject?.close();
    await proxy?.close();
    console.log(`outbox head-of-line measurements: ${JSON.stringify(measurements)}`);
  });

  async function statusCounts(paymentIds: string[]): Promise<Record<string, number>> {
    const result = await database.db.execute<{ status: string; count: string }>(sql`
      SELECT status, count(*) FROM payments WHERE id = ANY(${`{${paymentIds.join(',')}}`}::text[]) GROUP BY status`);
    return Object.fromEntries(result.rows.map((row) => [row.status, Number(row.count)]));
  }

  async function eventIdsOf(paymentIds: string[]): Promise<string[]> {
    const result = await database.db.execute<{ id: string }>(
      sql`SELECT id FROM events WHERE object_id = ANY(${`{${paymentIds.join(',')}}`}::text[])`,
    );
    return result.rows.map((row) => row.id);
  }

  async function unsentRowsOfEvents(eventIds: string[]): Promise<number> {
    const result = await database.db.execute<{ count: string }>(sql`
      SELECT count(*) FROM outbox WHERE topic = 'event.publish' AND sent_at IS NULL
        AND payload->>'eventId' = ANY(${`{${eventIds.join(',')}}`}::text[])`);
    return Number(result.rows[0]!.count);
  }

  async function metricsText(): Promise<string> {
    const response = await subject.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    return response.body;
  }

  async function createPayments(count: number): Promise<string[]> {
    const ids: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        next += 1;
        const response = await createPayment(subject, merchant, paymentBody({ amount: 1000 + next }));
        expect(response.statusCode).toBe(202);
        ids.push(response.json<PaymentBody>().id);
      }
    };
    await Promise.all(Array.from({ length: creationConcurrency }, worker));
    return ids;
  }

  it(`completes ${paymentsDuringCut} payments while RabbitMQ is cut off, then publishes every event in order`, async () => {
    const before = await createPayment(subject, merchant);
    const beforeId = before.json<PaymentBody>().id;
    await settledPayment(subject, merchant, beforeId);
    await eventually(
      current(() => consumer.about(beforeId).length),
      (count) => count === eventTypesInOrder.length,
      { what: 'events before the cut' },
    );

    await proxy.cut();
    const cutAtMs = Date.now();
    const burst = await createPayments(paymentsDuringCut);
    measurements.creationMs = Date.now() - cutAtMs;

    // The operator's report: 100 of 300 succeeded and 200 stayed in processing until RabbitMQ came back.
    const counts = await eventually(
      () => statusCounts(burst),
      (byStatus) => byStatus.succeeded === burst.length,
      { deadlineMs: 30_000, intervalMs: 100, what: `all ${burst.length} payments succeeded during the cut` },
    );
    measurements.allSucceededAfterCutMs = Date.now() - cutAtMs;
    expect(counts).toEqual({ succeeded: burst.length });

    const expected = await eventIdsOf(burst);
    expect(expected).toHaveLength(burst.length * eventTypesInOrder.length);
    expect(await unsentRowsOfEvents(expected)).toBe(expected.length);
    expect(burst.some((id) => consumer.about(id).length > 0)).toBe(false);

    // The lag gauges: the event topic waits (its backlog and age show), the job topic is empty.
    const duringCut = await eventually(metricsText, (text) => topicLag(text, 'payment.authorize').unsent === 0, {
      what: 'the payment.authorize lag back to 0',
    });
    const eventLag = topicLag(duringCut, 'event.publish');
    expect(eventLag.oldestAgeSeconds).toBeGreaterThan(0);
    expect(eventLag.unsent).toBeGreaterThanOrEqual(expected.length);
    expect(topicLag(duringCut, 'payment.authorize')).toEqual({ oldestAgeSeconds: 0, unsent: 0 });
    measurements.eventLagDuringCut = eventLag;

    const restoredAtMs = Date.now();
    await proxy.restore();
    await eventually(
      current(() => consumer.distinctEventIds()),
      (received) => expected.every((id) => received.has(id)),
      { deadlineMs: 45_000, intervalMs: 100, what: 'every event of the burst on the consumer queue' },
    );
    measurements.allPublishedAfterRestoreMs = Date.now() - restoredAtMs;
    for (const id of burst) {
      const firstSeen = [...new Set(consumer.about(id).map((message) => message.routingKey))];
      expect(firstSeen).toEqual(eventTypesInOrder);
    }
    const drained = await eventually(metricsText, (text) => topicLag(text, 'event.publish').unsent === 0, {
      what: 'the event.publish lag back to 0',
    });
    expect(topicLag(drained, 'event.publish')).toEqual({ oldestAgeSeconds: 0, unsent: 0 });
    expect(await unsentRowsOfEvents(expected)).toBe(0);
    const burstMessages = consumer.received.filter((message) => burst.includes(message.event.data.object.id));
    Object.assign(measurements, {
      paymentsDuringCut: burst.length,
      eventsExpected: expected.length,
      messagesReceived: burstMessages.length,
      duplicates: burstMessages.length - expected.length,
    });
  }, 120_000);
});
