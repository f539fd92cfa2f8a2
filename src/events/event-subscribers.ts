import { type INestApplication, Logger } from '@nestjs/common';
import type { CustomStrategy } from '@nestjs/microservices';
import { EventsServer } from './events-server';
import type { AppConfig } from '../config/app-config';
import type { AppRole } from '../config/config.schema';
import { withDeadline } from '../common/deadline';
import { eventTypes, topicPatternMatches } from './event-types';
import { eventsLimits } from './events.limits';
import { rmqSubscriberOptions } from './rmq.options';
import { QueueDeclarationError } from './subscriber-queue';

/**
 * A module that consumes domain events from RabbitMQ. It declares a subscription and tags its handlers with the
 * same transport id:
 *
 *   export const BILLING_EVENTS = Symbol('billing-events');
 *   @EventPattern('payment.*', BILLING_EVENTS)
 *   onPaymentEvent(@Payload() event: EventObject, @Ctx() context: RmqContext) { … ack … }
 *
 * Each subscription gets an RMQ server of its own, on its own durable queue bound with its handlers' patterns,
 * so subscribers never take messages from each other and a slow one only backs up its own queue. The publisher
 * declares the same queues and bindings before it publishes (EventsClient), so what is published before a
 * subscriber's process first starts waits in its queue instead of being dropped by the exchange.
 */
export interface EventSubscription {
  transport: symbol;
  queue: string;
  /** The routing patterns of its handlers' @EventPattern: the publisher binds the queue with them too. */
  patterns: readonly string[];
  /** The APP_ROLEs whose processes consume it. */
  roles: readonly AppRole[];
}

/** Hybrid application: connects the subscriptions of this process's role (nestjs/nest sample 03-microservices). */
export function connectEventSubscribers(
  app: INestApplication,
  config: AppConfig,
  subscriptions: readonly EventSubscription[],
): void {
  assertPatternsMatchEventTypes(subscriptions);
  for (const subscription of subscriptions) {
    if (!subscription.roles.includes(config.role)) continue;
    const server = new EventsServer(rmqSubscriberOptions(config, subscription.queue));
    // Handlers are attached when the microservice connects: the transport id has to be set before.
    server.setTransportId(subscription.transport);
    app.connectMicroservice<CustomStrategy>({ strategy: server });
  }
}

/**
 * A pattern that matches no registered event type is a typo (`paymnet.*`) or a type whose feature's declaration
 * file is not imported: its queue would stay empty without a word, so the process refuses to start instead.
 */
export function assertPatternsMatchEventTypes(
  subscriptions: readonly Pick<EventSubscription, 'queue' | 'patterns'>[],
): void {
  const types = eventTypes();
  for (const { queue, patterns } of subscriptions) {
    for (const pattern of patterns) {
      if (!types.some((type) => topicPatternMatches(pattern, type))) {
        throw new Error(`the subscription ${queue} binds ${pattern}, which matches no registered event type`);
      }
    }
  }
}

/**
 * Starts the subscribers and waits until their queues are bound, but not forever: with RabbitMQ down at start
 * they keep connecting in the background while the process serves HTTP (the API keeps taking payments). A queue
 * RabbitMQ refuses to declare (QueueDeclarationError) fails the start.
 */
export async function startEventSubscribers(
  app: INestApplication,
  waitMs: number = eventsLimits.subscriberStartWaitMs,
): Promise<void> {
  const logger = new Logger('EventSubscribers');
  const started = app.startAllMicroservices();
  try {
    await withDeadline(started, waitMs, 'RabbitMQ');
  } catch (error) {
    // A subscriber queue RabbitMQ refuses (EventsServer) does not come right by waiting: the start fails.
    if (error instanceof QueueDeclarationError) throw error;
    logger.warn({ err: error }, 'event subscribers not connected yet; they keep trying in the background');
    started.then(
      () => logger.log('event subscribers connected'),
      (failure: unknown) => logger.error({ err: failure }, 'event subscribers failed to start'),
    );
  }
}
