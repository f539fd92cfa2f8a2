import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Channel } from 'amqplib';
import { AppConfig } from '../config/app-config';
import type { RabbitmqQueueType } from '../config/config.schema';
import { withDeadline } from '../common/deadline';
import type { EventSubscription } from './event-subscribers';
import { EVENT_SUBSCRIPTIONS } from './events.constants';
import { eventsLimits } from './events.limits';
import { connectToAnyNode } from './rabbitmq-nodes';
import { declarationRefusal, QueueDeclarationError, subscriberQueueOptions } from './subscriber-queue';

export interface SubscriberQueuesDeclaration {
  exchange: string;
  queueType: RabbitmqQueueType;
  subscriptions: readonly Pick<EventSubscription, 'queue' | 'patterns'>[];
}

/**
 * Declares each subscriber's queue (as RABBITMQ_QUEUE_TYPE says) and binds it to the events exchange with its
 * patterns, on `channel`; the exchange must exist. A declaration RabbitMQ refuses because the queue exists with
 * another type or other arguments throws a QueueDeclarationError that says what to do; RabbitMQ also closes the
 * channel.
 */
export async function declareSubscriberQueues(channel: Channel, declaration: SubscriberQueuesDeclaration) {
  const options = subscriberQueueOptions(declaration.queueType);
  for (const { queue, patterns } of declaration.subscriptions) {
    try {
      await channel.assertQueue(queue, options);
    } catch (error) {
      throw declarationRefusal(error, queue, declaration.queueType) ?? error;
    }
    for (const pattern of patterns) await channel.bindQueue(queue, declaration.exchange, pattern);
  }
}

/**
 * At start, in the roles that declare subscriber queues (the publisher's `relay`, the subscribers' `worker`, and
 * `all`): declares the exchange, every queue and its bindings once, on a connection of its own, so that a queue
 * RabbitMQ refuses (a classic queue where RABBITMQ_QUEUE_TYPE=quorum asks for a quorum one, or the reverse) stops
 * the process with a QueueDeclarationError that says what to do, instead of a publisher and subscribers that keep
 * retrying without a word of why. With no node answering, it only warns: the transports declare the same once
 * RabbitMQ is back, and the API must not wait for RabbitMQ to take payments.
 */
@Injectable()
export class SubscriberQueuesAtStart implements OnApplicationBootstrap {
  private readonly logger = new Logger(SubscriberQueuesAtStart.name);

  constructor(
    private readonly config: AppConfig,
    @Inject(EVENT_SUBSCRIPTIONS) private readonly subscriptions: readonly EventSubscription[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const timeoutMs = eventsLimits.startDeclarationTimeoutMs;
    const { urls, queueType, eventsExchange } = this.config.rabbitmq;
    let connection: Awaited<ReturnType<typeof connectToAnyNode>>;
    try {
      connection = await connectToAnyNode(urls, timeoutMs);
    } catch (error) {
      this.logger.warn({ err: error }, 'subscriber queues not declared at start; the RabbitMQ transports will');
      return;
    }
    try {
      const declared = (async () => {
        const channel = await connection.createChannel();
        // A refusal closes the channel: the failed call rejects with it, which is what is acted on.
        channel.on('error', () => undefined);
        await channel.assertExchange(eventsExchange, 'topic', { durable: true });
        await declareSubscriberQueues(channel, {
          exchange: eventsExchange,
          queueType,
          subscriptions: this.subscriptions,
        });
        await channel.close();
      })();
      await withDeadline(declared, timeoutMs, 'RabbitMQ');
    } catch (error) {
      if (error instanceof QueueDeclarationError) throw error;
      this.logger.warn({ err: error }, 'subscriber queues not declared at start; the RabbitMQ transports will');
    } finally {
      await withDeadline(connection.close(), timeoutMs, 'RabbitMQ').catch(() => undefined);
    }
  }
}
