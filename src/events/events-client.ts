import { ClientRMQ } from '@nestjs/microservices';
import type { Channel } from 'amqplib';
import type { EventSubscription } from './event-subscribers';
import { type RmqPublisherOptions, subscriberQueueOptions } from './rmq.options';

/** What EventsClient is built from (ClientsModule's `customClass` hands it `options` as they are). */
export interface EventsClientOptions {
  rmq: RmqPublisherOptions;
  /** Every subscription of the application, whichever roles consume them. */
  subscriptions: readonly Pick<EventSubscription, 'queue' | 'patterns'>[];
}

/**
 * The publisher's ClientRMQ, which also declares every subscriber's durable queue and its bindings when its channel
 * is set up, before the first publish. A topic exchange drops a message no queue is bound to, and RabbitMQ still
 * confirms it: without this, the events published before a subscriber's process first declared its queue (a fresh
 * broker, a worker deployed after the relay, or a worker whose job processors start before its subscribers) would
 * be marked sent and lost.
 */
export class EventsClient extends ClientRMQ {
  private readonly subscriptions: EventsClientOptions['subscriptions'];
  private readonly exchange: string;

  constructor(options: EventsClientOptions) {
    super(options.rmq);
    if (!options.rmq.exchange) throw new Error('the events client needs an exchange');
    this.exchange = options.rmq.exchange;
    this.subscriptions = options.subscriptions;
  }

  override async setupChannel(channel: Channel, resolve: () => void): Promise<void> {
    // The exchange first (ClientRMQ's own setup), then the queues bound to it; ready only once all exist.
    await super.setupChannel(channel, () => undefined);
    for (const { queue, patterns } of this.subscriptions) {
      await channel.assertQueue(queue, subscriberQueueOptions);
      for (const pattern of patterns) await channel.bindQueue(queue, this.exchange, pattern);
    }
    resolve();
  }
}
