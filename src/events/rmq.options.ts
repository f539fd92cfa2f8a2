import { type RmqOptions, Transport } from '@nestjs/microservices';
import type { AppConfig } from '../config/app-config';
import { eventsLimits } from './events.limits';

type RmqTransportOptions = Required<RmqOptions>['options'];

function connectionOptions(config: AppConfig): Pick<RmqTransportOptions, 'urls' | 'socketOptions'> {
  return {
    urls: [config.rabbitmq.url],
    socketOptions: {
      heartbeatIntervalInSeconds: eventsLimits.heartbeatIntervalSeconds,
      reconnectTimeInSeconds: eventsLimits.reconnectDelaySeconds,
    },
  };
}

/**
 * The publisher's RMQ transport: with `exchange` and `wildcards`, ClientRMQ declares the durable topic exchange
 * (and no queue) and publishes every `emit` to it with the pattern, the event type, as routing key.
 */
export function rmqPublisherOptions(config: AppConfig): RmqOptions {
  return {
    transport: Transport.RMQ,
    options: {
      ...connectionOptions(config),
      exchange: config.rabbitmq.eventsExchange,
      exchangeType: 'topic',
      wildcards: true,
      persistent: true,
    },
  };
}

export type RmqPublisherOptions = RmqTransportOptions;

/** How a subscriber's queue is declared, by its RMQ server and by the publisher alike (they must agree). */
export const subscriberQueueOptions = { durable: true } as const;

/**
 * A subscriber's RMQ transport: its own durable `queue`, bound to the events exchange with the patterns of its
 * `@EventPattern` handlers (`wildcards`), acknowledged by the handler only once the message is taken care of.
 */
export function rmqSubscriberOptions(config: AppConfig, queue: string): RmqTransportOptions {
  return {
    ...connectionOptions(config),
    queue,
    queueOptions: subscriberQueueOptions,
    exchange: config.rabbitmq.eventsExchange,
    exchangeType: 'topic',
    wildcards: true,
    noAck: false,
    prefetchCount: eventsLimits.subscriberPrefetchCount,
  };
}
