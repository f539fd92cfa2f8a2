import { connect } from 'amqplib';
import { EventsClient } from '../src/events/events-client';
import { deleteEventsTopology, rabbitmqServerUrl } from './support/events-rabbitmq';
import { testName } from './support/test-names';

/**
 * The publisher declares every subscriber's queue when its channel is set up. A declaration that fails (here the
 * broker refuses it: the queue exists with other arguments, which closes the channel, as a shutdown or a broker
 * restart during the setup also does) is emitted by the channel wrapper as an 'error' event: unheard, it ended the
 * process (an unhandled error, failing this test). It must be logged, saying what to do, and the client must stay
 * usable.
 */
describe('events client channel setup', () => {
  const names = testName();
  const exchange = `${names}.events`;
  const conflictingQueue = `${names}.subscriber`;

  afterAll(async () => {
    await deleteEventsTopology(exchange, [conflictingQueue]);
  });

  it('logs a refused declaration instead of ending the process', async () => {
    // The subscriber's queue already exists, declared non-durable: the client's durable declaration is refused.
    const connection = await connect(rabbitmqServerUrl);
    const channel = await connection.createChannel();
    await channel.assertQueue(conflictingQueue, { durable: false, autoDelete: false });
    await connection.close();

    const client = new EventsClient({
      rmq: { urls: [rabbitmqServerUrl], exchange, exchangeType: 'topic', wildcards: true, persistent: true },
      subscriptions: [{ queue: conflictingQueue, patterns: ['payment.*'] }],
      queueType: 'classic',
    });
    const warnings: string[] = [];
    const logger = (client as unknown as { logger: { warn(message: string): void; error(message: string): void } })
      .logger;
    logger.warn = (message: string) => warnings.push(message);
    logger.error = (message: string) => warnings.push(message);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      void client.connect().catch(() => undefined);
      const deadline = Date.now() + 10_000;
      while (!warnings.some((warning) => warning.includes('events channel setup failed')) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(warnings.join('\n')).toContain('events channel setup failed');
      expect(warnings.join('\n')).toMatch(/PRECONDITION_FAILED|inequivalent arg/);
      // A refusal needs an operator: the line names the queue and the ways out.
      expect(warnings.join('\n')).toContain(`subscriber queue ${conflictingQueue}`);
      expect(warnings.join('\n')).toContain('exists with other arguments');
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await client.close();
    }
  });
});
