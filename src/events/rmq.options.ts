import { type RmqOptions, Transport } from '@nestjs/microservices';
import type { AppConfig } from '../config/app-config';
import { eventsLimits } from './events.limits';
import { subscriberQueueOptions } from './subscriber-queue';

type RmqTransportOptions = Required<RmqOptions>['options'];

/**
 * Every node of the cluster, in RABBITMQ_URL's order: amqp-connection-manager connects to the first that answers
 * and, when that connection closes, to the next one in the list (round robin), a reconnect delay apart.
 */
function connectionOptions(config: AppConfig): Pick<RmqTransportOptions, 'urls' | 'socketOptions'> {
  return {
    urls: [...config.rabbitmq.urls],
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

/**
 * A subscriber's RMQ transport: its own durable `queue` (classic or quorum: RABBITMQ_QUEUE_TYPE), bound to the events exchange with the patterns of its
 * `@EventPattern` handlers (`wildcards`), acknowledged by the handler only once the message is taken care of.
 */
export function rmqSubscriberOptions(config: AppConfig, queue: string): RmqTransportOptions {
  return {
    ...connectionOptions(config),
    queue,
    queueOptions: subscriberQueueOptions(config.rabbitmq.queueType),
    exchange: config.rabbitmq.eventsExchange,
    exchangeType: 'topic',
    wildcards: true,
    noAck: false,
    prefetchCount: eventsLimits.subscriberPrefetchCount,
  };
}
