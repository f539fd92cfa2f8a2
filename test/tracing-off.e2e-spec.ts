import { getQueueToken } from '@nestjs/bullmq';
import { isSpanContextValid, trace } from '@opentelemetry/api';
import type { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { newId } from '../src/common/ids';
import { Database } from '../src/database/database';
import { EVENT_PUBLISH_TOPIC } from '../src/events/events.constants';
import { AUTHORIZE_PAYMENT_TOPIC, PAYMENTS_QUEUE } from '../src/payments/payments.constants';
import { startTracingIfWanted } from '../src/telemetry/tracing';
import { createMerchant, createPayment, eventually, type Merchant, settledPayment } from './support/api';
import { EventsConsumer } from './support/events-consumer';
import { fastProcessing } from './support/fast-processing';
import { startTestApp, type TestApp } from './support/test-app';

// What a process with tracing on could have left in the outbox: a row written in a trace.
const writtenInATrace = {
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  tracestate: 'vendor=1',
};
const traceFieldNames = ['traceparent', 'tracestate'];

describe('tracing off (no OTEL_* variable)', () => {
  let subject: TestApp;
  let merchant: Merchant;
  let consumer: EventsConsumer;

  beforeAll(async () => {
    // As main.ts does first, with an environment that asks for nothing.
    expect(startTracingIfWanted({}).on).toBe(false);
    subject = await startTestApp(fastProcessing);
    merchant = await createMerchant(subject);
    consumer = await EventsConsumer.start(subject.config.rabbitmq.eventsExchange);
  });

  afterAll(async () => {
    await consumer?.close();
    await subject?.close();
  });

  it('registers no tracer provider: spans are not recorded', () => {
    const span = trace.getTracer('probe').startSpan('probe');
    expect(span.isRecording()).toBe(false);
    expect(isSpanContextValid(span.spanContext())).toBe(false);
    span.end();
  });

  it('writes no trace context to outbox rows, job data, job options or message headers', async () => {
    const database = subject.app.get(Database);
    const queue = subject.app.get<Queue>(getQueueToken(PAYMENTS_QUEUE));
    const created = await createPayment(subject, merchant);
    expect(created.statusCode).toBe(202);
    const paymentId = created.json<{ id: string }>().id;
    await settledPayment(subject, merchant, paymentId);

    // Rows written by a process with tracing on and relayed by this one: an authorization job and an event.
    const strangerPaymentId = newId('pay');
    const authorizeRowId = newId('obx');
    const eventId = newId('evt');
    await database.db.execute(sql`
      INSERT INTO events (id, merchant_id, type, object_id, data)
      VALUES (${eventId}, ${merchant.id}, 'payment.processing', ${strangerPaymentId},
              ${JSON.stringify({ object: { id: strangerPaymentId, object: 'payment' } })}::jsonb)`);
    await database.db.execute(sql`
      INSERT INTO outbox (id, topic, payload, trace_context) VALUES
        (${authorizeRowId}, ${AUTHORIZE_PAYMENT_TOPIC},
         ${JSON.stringify({ paymentId: strangerPaymentId, merchantId: merchant.id })}::jsonb,
         ${JSON.stringify(writtenInATrace)}::jsonb),
        (${newId('obx')}, ${EVENT_PUBLISH_TOPIC}, ${JSON.stringify({ eventId, orderingKey: strangerPaymentId })}::jsonb,
         ${JSON.stringify(writtenInATrace)}::jsonb)`);

    const strangerJob = await eventually(
      () => queue.getJob(authorizeRowId),
      (job) => job?.finishedOn !== undefined,
      { what: `the job of outbox row ${authorizeRowId} finishing` },
    );
    expect(Object.keys(strangerJob!.data as object).sort()).toEqual(['merchantId', 'paymentId']);
    expect(strangerJob!.opts.telemetry).toBeUndefined();
    await eventually(
      () => Promise.resolve(consumer.received.some((message) => message.event.id === eventId)),
      (received) => received,
      { what: `event ${eventId} on RabbitMQ` },
    );

    const rows = await database.db.execute<{ id: string; trace_context: unknown; payload: { paymentId?: string } }>(
      sql`SELECT id, trace_context, payload FROM outbox WHERE payload->>'paymentId' = ${paymentId}
          OR payload->>'orderingKey' = ${paymentId}`,
    );
    expect(rows.rows.length).toBeGreaterThanOrEqual(3);
    expect(rows.rows.map((row) => row.trace_context)).toEqual(rows.rows.map(() => null));
    const paymentJob = await queue.getJob(rows.rows.find((row) => row.payload.paymentId === paymentId)!.id);
    expect(Object.keys(paymentJob!.data as object).sort()).toEqual(['merchantId', 'paymentId']);
    expect(paymentJob!.opts.telemetry).toBeUndefined();

    const published = await eventually(
      () => Promise.resolve(consumer.about(paymentId)),
      (messages) => messages.length >= 2,
      { what: `the events of ${paymentId}` },
    );
    for (const message of [...published, ...consumer.received.filter((received) => received.event.id === eventId)]) {
      expect(Object.keys(message.headers).filter((name) => traceFieldNames.includes(name))).toEqual([]);
    }
  });
});
