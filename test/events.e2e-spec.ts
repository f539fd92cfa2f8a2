import { connect } from 'amqplib';
import { sql } from 'drizzle-orm';
import { Database } from '../src/database/database';
import type { EventObject } from '../src/events/event-types';
import {
  createMerchant,
  createPayment,
  eventually,
  type Merchant,
  type PaymentBody,
  paymentBody,
  settledPayment,
  testCards,
} from './support/api';
import { EventsConsumer } from './support/events-consumer';
import { rabbitmqServerUrl } from './support/events-rabbitmq';
import { current } from './support/events-polling';
import { fastProcessing } from './support/fast-processing';
import { startTestApp, type TestApp } from './support/test-app';

interface EventList {
  object: 'list';
  data: EventObject[];
  has_more: boolean;
}

describe('events', () => {
  let subject: TestApp;
  let database: Database;
  let consumer: EventsConsumer;

  beforeAll(async () => {
    subject = await startTestApp(fastProcessing);
    database = subject.app.get(Database);
    consumer = await EventsConsumer.start(subject.config.rabbitmq.eventsExchange, ['payment.*', 'refund.*']);
  });
  afterAll(async () => {
    await consumer.close();
    await subject.close();
  });

  async function listEvents(merchant: Merchant, query = ''): Promise<EventList> {
    const response = await subject.inject({ method: 'GET', url: `/v1/events${query}`, headers: merchant.headers });
    expect(response.statusCode).toBe(200);
    return response.json<EventList>();
  }

  async function settledPaymentOf(merchant: Merchant, body = paymentBody()): Promise<PaymentBody> {
    const created = await createPayment(subject, merchant, body);
    expect(created.statusCode).toBe(202);
    return settledPayment(subject, merchant, created.json<PaymentBody>().id);
  }

  /** Every event of these objects is marked published: nothing more will be sent for them. */
  async function allPublished(objectIds: string[]): Promise<void> {
    await eventually(
      async () => {
        const result = await database.db.execute<{ unsent: string }>(sql`
          SELECT count(*) AS unsent FROM outbox o JOIN events e ON e.id = o.payload->>'eventId'
          WHERE o.topic = 'event.publish' AND o.sent_at IS NULL AND e.object_id = ANY(${`{${objectIds.join(',')}}`}::text[])`);
        return Number(result.rows[0]!.unsent);
      },
      (unsent) => unsent === 0,
      { what: 'every event published' },
    );
  }

  describe('on RabbitMQ', () => {
    it('publishes payment.processing then payment.succeeded, once each, persistent, keyed by type and id', async () => {
      const merchant = await createMerchant(subject);
      const payment = await settledPaymentOf(merchant);
      expect(payment.status).toBe('succeeded');
      await allPublished([payment.id]);
      const messages = await eventually(
        current(() => consumer.about(payment.id)),
        (received) => received.length >= 2,
        { what: 'both events on the consumer queue' },
      );
      expect(messages.map((message) => message.routingKey)).toEqual(['payment.processing', 'payment.succeeded']);
      expect(messages).toHaveLength(2);
      const stored = (await listEvents(merchant)).data;
      for (const message of messages) {
        expect(message.pattern).toBe(message.routingKey);
        expect(message.persistent).toBe(true);
        expect(message.contentType).toBe('application/json');
        expect(message.messageId).toBe(message.event.id);
        expect(message.event).toEqual(stored.find((event) => event.id === message.event.id));
      }
      expect(messages[1]!.event.data.object).toMatchObject({ id: payment.id, status: 'succeeded' });
    });

    it('keeps every payment’s events in order through a burst of concurrent payments', async () => {
      const merchant = await createMerchant(subject);
      const cards = [testCards.visa, testCards.declined, testCards.transientTwice, testCards.mastercard];
      const created = await Promise.all(
        Array.from({ length: 24 }, (_, index) =>
          createPayment(
            subject,
            merchant,
            paymentBody(
              { amount: 500 + index, capture_method: index % 5 === 0 ? 'manual' : 'automatic' },
              { number: cards[index % cards.length] },
            ),
          ),
        ),
      );
      const ids = created.map((response) => response.json<PaymentBody>().id);
      const settled = await Promise.all(ids.map((id) => settledPayment(subject, merchant, id)));
      await allPublished(ids);
      for (const payment of settled) {
        const types = await eventually(
          current(() => consumer.about(payment.id).map((message) => message.routingKey)),
          (received) => received.length >= 2,
          { what: `the events of ${payment.id}` },
        );
        expect(types).toEqual(['payment.processing', `payment.${payment.status}`]);
      }
    });

    it('gives every subscriber a queue of its own: each receives every event', async () => {
      const second = await EventsConsumer.start(subject.config.rabbitmq.eventsExchange, ['#']);
      try {
        const merchant = await createMerchant(subject);
        const payment = await settledPaymentOf(merchant);
        for (const subscriber of [consumer, second]) {
          await eventually(
            current(() => subscriber.about(payment.id).length),
            (count) => count === 2,
            { what: `both events on ${subscriber.queue}` },
          );
        }
      } finally {
        await second.close();
      }
      // The webhook fan-out, the app's own subscriber, consumes its durable queue on the same exchange.
      const connection = await connect(rabbitmqServerUrl);
      try {
        const channel = await connection.createChannel();
        const webhooksQueue = await channel.checkQueue(subject.config.webhooks.eventsQueue);
        expect(webhooksQueue.consumerCount).toBe(1);
      } finally {
        await connection.close();
      }
    });
  });

  describe('GET /v1/events', () => {
    let merchant: Merchant;
    let other: Merchant;
    let payments: PaymentBody[];

    beforeAll(async () => {
      merchant = await createMerchant(subject, 'Events');
      other = await createMerchant(subject, 'Other');
      payments = [];
      for (const number of [testCards.visa, testCards.declined, testCards.visa]) {
        payments.push(await settledPaymentOf(merchant, paymentBody({}, { number })));
      }
      await settledPaymentOf(other);
    });

    it('lists the merchant’s events newest first in the contract’s shape', async () => {
      const list = await listEvents(merchant);
      expect(list).toMatchObject({ object: 'list', has_more: false });
      expect(list.data.map((event) => [event.type, event.data.object.id])).toEqual([
        ['payment.succeeded', payments[2]!.id],
        ['payment.processing', payments[2]!.id],
        ['payment.failed', payments[1]!.id],
        ['payment.processing', payments[1]!.id],
        ['payment.succeeded', payments[0]!.id],
        ['payment.processing', payments[0]!.id],
      ]);
      for (const event of list.data) {
        expect(Object.keys(event).sort()).toEqual(['created_at', 'data', 'id', 'object', 'type']);
        expect(event).toMatchObject({ object: 'event', id: expect.stringMatching(/^evt_[0-9A-Za-z]{24}$/) });
        expect(new Date(event.created_at).toISOString()).toBe(event.created_at);
        expect(event.data.object).toMatchObject({ object: 'payment' });
      }
      const failed = list.data[2]!.data.object;
      expect(failed).toMatchObject({ status: 'failed', failure_code: 'card_declined' });
      expect(JSON.stringify(list)).not.toContain(testCards.declined);
    });

    it('pages with limit and starting_after', async () => {
      const all = (await listEvents(merchant)).data.map((event) => event.id);
      const seen: string[] = [];
      let query = '?limit=4';
      for (;;) {
        const page = await listEvents(merchant, query);
        seen.push(...page.data.map((event) => event.id));
        if (!page.has_more) break;
        expect(page.data).toHaveLength(4);
        query = `?limit=4&starting_after=${page.data.at(-1)!.id}`;
      }
      expect(seen).toEqual(all);
      const last = await listEvents(merchant, `?starting_after=${all.at(-1)}`);
      expect(last).toEqual({ object: 'list', data: [], has_more: false });
    });

    it('filters by type', async () => {
      const succeeded = await listEvents(merchant, '?type=payment.succeeded');
      expect(succeeded.data.map((event) => event.data.object.id)).toEqual([payments[2]!.id, payments[0]!.id]);
      const page = await listEvents(
        merchant,
        `?type=payment.processing&limit=1&starting_after=${succeeded.data[0]!.id}`,
      );
      expect(page.data.map((event) => event.type)).toEqual(['payment.processing']);
      expect(page.has_more).toBe(true);
      expect((await listEvents(merchant, '?type=refund.succeeded')).data).toEqual([]);
    });

    it('shows only the merchant’s own events, and answers another’s like a missing one', async () => {
      const own = (await listEvents(merchant)).data;
      const theirs = (await listEvents(other)).data;
      expect(theirs).toHaveLength(2);
      expect(theirs.some((event) => own.some((mine) => mine.id === event.id))).toBe(false);
      const single = await subject.inject({
        method: 'GET',
        url: `/v1/events/${own[0]!.id}`,
        headers: merchant.headers,
      });
      expect(single.statusCode).toBe(200);
      expect(single.json()).toEqual(own[0]);
      const foreign = await subject.inject({ method: 'GET', url: `/v1/events/${own[0]!.id}`, headers: other.headers });
      expect(foreign.statusCode).toBe(404);
      expect(foreign.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'resource_missing' } });
      const cursor = await subject.inject({
        method: 'GET',
        url: `/v1/events?starting_after=${own[0]!.id}`,
        headers: other.headers,
      });
      expect(cursor.statusCode).toBe(400);
      expect(cursor.json()).toMatchObject({ error: { code: 'parameter_invalid', param: 'starting_after' } });
    });

    it.each([
      ['?limit=0', 'parameter_invalid', 'limit'],
      ['?limit=101', 'parameter_invalid', 'limit'],
      ['?limit=ten', 'parameter_invalid', 'limit'],
      ['?type=payment.exploded', 'parameter_invalid', 'type'],
      ['?starting_after=pay_000000000000000000000000', 'parameter_invalid', 'starting_after'],
      ['?starting_after=evt_000000000000000000000000', 'parameter_invalid', 'starting_after'],
      ['?colour=blue', 'parameter_unknown', 'colour'],
    ])('answers %s with 400 %s naming %s', async (query, code, param) => {
      const response = await subject.inject({ method: 'GET', url: `/v1/events${query}`, headers: merchant.headers });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({
        error: { type: 'invalid_request_error', code, param, message: expect.any(String) },
      });
    });

    it('answers a malformed id with 404 and a missing key with 401', async () => {
      const malformed = await subject.inject({ method: 'GET', url: '/v1/events/nope', headers: merchant.headers });
      expect(malformed.statusCode).toBe(404);
      expect((await subject.inject({ method: 'GET', url: '/v1/events' })).statusCode).toBe(401);
    });
  });
});
