import { type RmqOptions, Transport } from '@nestjs/microservices';
import type { AppConfig } from '../config/app-config';

/**
 * The RabbitMQ (RMQ transport) options, configured once: the durable topic exchange of domain events.
 * `queue` names the subscriber's own queue, so no two subscribers take each other's messages.
 */
export function rmqTransportOptions(config: AppConfig, queue: string, routingKey = '#'): RmqOptions {
  return {
    transport: Transport.RMQ,
    options: {
      urls: [config.rabbitmq.url],
      queue,
      queueOptions: { durable: true },
      exchange: config.rabbitmq.eventsExchange,
      exchangeType: 'topic',
      routingKey,
      wildcards: true,
      persistent: true,
      noAck: false,
      prefetchCount: 32,
    },
  };
}
