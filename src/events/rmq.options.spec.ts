import { parseConfig } from '../config/config.schema';
import { rmqPublisherOptions, rmqSubscriberOptions } from './rmq.options';

const cluster = 'amqp://u:p@rabbit-1:5672,amqp://u:p@rabbit-2:5672,amqp://u:p@rabbit-3:5672';

describe('the RMQ transports', () => {
  it("hand the publisher and every subscriber each node of RABBITMQ_URL, in the list's order", () => {
    const config = parseConfig({ RABBITMQ_URL: cluster });
    const nodes = ['amqp://u:p@rabbit-1:5672', 'amqp://u:p@rabbit-2:5672', 'amqp://u:p@rabbit-3:5672'];
    expect(rmqPublisherOptions(config).options?.urls).toEqual(nodes);
    expect(rmqSubscriberOptions(config, 'payments.webhooks').urls).toEqual(nodes);
  });

  it('declare the subscriber queue as RABBITMQ_QUEUE_TYPE says', () => {
    expect(rmqSubscriberOptions(parseConfig({}), 'q').queueOptions).toEqual({ durable: true });
    expect(rmqSubscriberOptions(parseConfig({ RABBITMQ_QUEUE_TYPE: 'quorum' }), 'q').queueOptions).toEqual({
      durable: true,
      arguments: { 'x-queue-type': 'quorum' },
    });
  });

  it('keep publishing persistent messages to the topic exchange (confirms come from the channel wrapper)', () => {
    const options = rmqPublisherOptions(parseConfig({ RABBITMQ_QUEUE_TYPE: 'quorum' })).options;
    expect(options).toMatchObject({ exchange: 'payments.events', exchangeType: 'topic', persistent: true });
  });
});
