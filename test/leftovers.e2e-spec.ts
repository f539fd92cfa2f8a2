import { Redis } from 'ioredis';
import { connect } from 'amqplib';
import {
  createMerchant,
  createPayment,
  getPayment,
  type PaymentBody,
  paymentBody,
  settledPayment,
  testCards,
} from './support/api';
import { rabbitmqServerUrl } from './support/events-rabbitmq';
import { fastProcessing } from './support/fast-processing';
import { describeLeftovers, type Leftovers, listLeftovers, removeLeftovers } from './support/leftovers';
import { createRabbitmqUser } from './support/rabbitmq-user';
import { startTestApp } from './support/test-app';
import { redisServerUrl, testName, testRunNamespace } from './support/test-names';
import { createEndpoint } from './support/webhooks-api';
import { WebhookReceiver } from './support/webhooks-receiver';

/** The kinds of key the app keeps under its prefix: `<prefix>:<first part>:…`. */
function keyFamilies(prefix: string, keys: readonly string[]): string[] {
  return [...new Set(keys.map((key) => key.slice(prefix.length + 1).split(':')[0]!))].sort();
}

const nothing: Leftovers = { redisKeys: [], queues: [], exchanges: [], users: [] };

describe('what tests leave on the shared Redis and RabbitMQ', () => {
  it('a test app removes every key under its queue prefix, its exchange and its subscriber queue on close', async () => {
    const subject = await startTestApp(fastProcessing);
    const prefix = subject.config.redis.queuePrefix;
    const receiver = await WebhookReceiver.start();
    try {
      const merchant = await createMerchant(subject);
      await createEndpoint(subject, merchant, receiver.url(), ['payment.succeeded']);
      // Retried before it succeeds: delayed jobs on the way.
      const created = await createPayment(subject, merchant, paymentBody({}, { number: testCards.transientTwice }));
      const id = created.json<PaymentBody>().id;
      expect((await settledPayment(subject, merchant, id)).status).toBe('succeeded');
      await getPayment(subject, merchant, id);

      const made = await listLeftovers(prefix);
      // BullMQ's queues (with the maintenance schedulers and delayed jobs), cache entries and generations.
      expect(keyFamilies(prefix, made.redisKeys)).toEqual(
        expect.arrayContaining(['cache', 'maintenance', 'payments', 'webhooks']),
      );
      expect(made.exchanges).toEqual([subject.config.rabbitmq.eventsExchange]);
      expect(made.queues).toEqual([subject.config.webhooks.eventsQueue]);
    } finally {
      await receiver.close();
      await subject.close();
    }
    expect(await listLeftovers(prefix)).toEqual(nothing);
  });

  it('the guard lists the keys, queues, exchanges and users under a namespace by test file, and removes them', async () => {
    const name = testName();
    const redis = new Redis(redisServerUrl);
    const connection = await connect(rabbitmqServerUrl);
    const user = await createRabbitmqUser();
    try {
      await redis.set(`${name}:payments:meta`, '1');
      await redis.set(`${name}:cache:epoch`, '1');
      const channel = await connection.createChannel();
      await channel.assertExchange(`${name}.events`, 'topic', { durable: true });
      await channel.assertQueue(`${name}.webhooks`, { durable: true });
      await channel.close();

      const userName = new URL(user.url).username;
      const namespace = testRunNamespace();
      const found = await listLeftovers(namespace);
      // Other files of this run may have names of their own there right now: only these are certain.
      expect(found.redisKeys).toEqual(expect.arrayContaining([`${name}:cache:epoch`, `${name}:payments:meta`]));
      expect(found.exchanges).toContain(`${name}.events`);
      expect(found.queues).toContain(`${name}.webhooks`);
      expect(found.users).toContain(userName);

      const ours = await listLeftovers(name);
      expect(describeLeftovers(namespace, ours)).toMatch(
        /: 2 redisKeys, 1 queues, 1 exchanges, 0 users\n {2}leftovers:\n {4}redisKeys: /,
      );
      await removeLeftovers({ ...ours, users: [userName] });
      expect(await listLeftovers(name)).toEqual(nothing);
      expect((await listLeftovers(namespace)).users).not.toContain(userName);
    } finally {
      redis.disconnect();
      await connection.close();
      // Gone already when the test got that far.
      await user.remove().catch(() => undefined);
    }
  });
});
