import { createServer } from 'node:net';
import { connect } from 'amqplib';
import type { EventObject } from '../src/events/event-types';
import { createMerchant, createPayment, eventually, type PaymentBody, settledPayment } from './support/api';
import { EventsConsumer } from './support/events-consumer';
import { current } from './support/events-polling';
import { declareQueue, queueTypeOf, rabbitmqServerUrl } from './support/events-rabbitmq';
import { fastProcessing } from './support/fast-processing';
import { startTestApp, type TestApp } from './support/test-app';
import { newTestNamespace } from './support/test-names';
import { createEndpoint } from './support/webhooks-api';
import { WebhookReceiver } from './support/webhooks-receiver';

/** An AMQP URL on a local port nothing listens on: a cluster node that is down and refuses connections. */
async function downNodeUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `amqp://guest:guest@127.0.0.1:${port}`;
}

/** Whether RabbitMQ refuses a declaration of `queue` with `options`: the queue exists with other arguments. */
async function refusesDeclaration(queue: string, options: Parameters<typeof declareQueue>[1]): Promise<string> {
  return declareQueue(queue, options).then(
    () => 'declared',
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
}

describe('RABBITMQ_QUEUE_TYPE=quorum, RABBITMQ_URL listing a node that is down first', () => {
  const names = newTestNamespace();
  let subject: TestApp;
  let consumer: EventsConsumer;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    subject = await startTestApp({
      ...fastProcessing,
      ...names.environment,
      RABBITMQ_QUEUE_TYPE: 'quorum',
      RABBITMQ_URL: `${await downNodeUrl()},${rabbitmqServerUrl}`,
    });
    consumer = await EventsConsumer.start(names.eventsExchange, ['payment.*']);
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await consumer?.close();
    await subject?.close();
    await receiver?.close();
    await names.remove();
  });

  it('declares the webhook fan-out queue as a quorum queue, which a classic declaration cannot take over', async () => {
    expect(subject.config.rabbitmq.urls).toHaveLength(2);
    expect(await queueTypeOf(names.webhookEventsQueue)).toBe('quorum');
    // The broker's own view of the arguments: a classic declaration of the same name is refused on x-queue-type.
    expect(await refusesDeclaration(names.webhookEventsQueue, { durable: true })).toMatch(
      /PRECONDITION_FAILED - inequivalent arg 'x-queue-type'.*current is the value 'quorum'/,
    );
    expect(await refusesDeclaration(names.webhookEventsQueue, subscriberQuorum)).toBe('declared');
  });

  it("publishes a payment's events in order, and the fan-out consumes them from its quorum queue into webhooks", async () => {
    const merchant = await createMerchant(subject);
    await createEndpoint(subject, merchant, receiver.url(), ['*']);
    const created = await createPayment(subject, merchant);
    expect(created.statusCode).toBe(202);
    const payment = await settledPayment(subject, merchant, created.json<PaymentBody>().id);
    expect(payment.status).toBe('succeeded');

    const published = await eventually(
      current(() => consumer.about(payment.id)),
      (received) => received.length >= 2,
      { what: "the payment's events on the test's own queue" },
    );
    expect(published.map((message) => message.routingKey)).toEqual(['payment.processing', 'payment.succeeded']);
    const delivered = await eventually(
      current(() => receiver.deliveries.map((delivery) => JSON.parse(delivery.rawBody) as EventObject)),
      (events) => events.length >= 2,
      { what: 'both webhooks delivered' },
    );
    expect(delivered.map((event) => event.type).sort()).toEqual(['payment.processing', 'payment.succeeded']);
    expect(delivered.every((event) => event.data.object.id === payment.id)).toBe(true);

    // The fan-out acknowledged both: nothing is left on its queue, which it still consumes.
    const connection = await connect(rabbitmqServerUrl);
    try {
      const channel = await connection.createChannel();
      const queue = await eventually(
        () => channel.checkQueue(names.webhookEventsQueue),
        (state) => state.messageCount === 0,
        { what: 'the fan-out queue emptied' },
      );
      expect(queue.consumerCount).toBe(1);
    } finally {
      await connection.close();
    }
  });

  it('answers ready while the first node of RABBITMQ_URL is down', async () => {
    const response = await subject.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ info: { rabbitmq: { status: 'up' } } });
  });
});

const subscriberQuorum = { durable: true, arguments: { 'x-queue-type': 'quorum' } };

describe('a subscriber queue that exists with the other queue type', () => {
  it.each([
    ['classic', 'quorum', { durable: true }],
    ['quorum', 'classic', subscriberQuorum],
  ] as const)(
    'refuses to start: a %s queue where RABBITMQ_QUEUE_TYPE=%s, saying what to do',
    async (existing, configured, declaration) => {
      const names = newTestNamespace();
      try {
        await declareQueue(names.webhookEventsQueue, declaration);
        await expect(startTestApp({ ...names.environment, RABBITMQ_QUEUE_TYPE: configured })).rejects.toMatchObject({
          name: 'QueueDeclarationError',
          message: expect.stringContaining(
            `subscriber queue ${names.webhookEventsQueue} as a durable ${configured} queue (RABBITMQ_QUEUE_TYPE=${configured}): it already exists as a ${existing} queue`,
          ) as string,
        });
        // The queue is as it was: nothing was converted or lost.
        expect(await queueTypeOf(names.webhookEventsQueue)).toBe(existing);
      } finally {
        await names.remove();
      }
    },
  );
});
