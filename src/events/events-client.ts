import { ClientRMQ, type RmqRecord } from '@nestjs/microservices';
import { context } from '@opentelemetry/api';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel } from 'amqplib';
import type { RabbitmqQueueType } from '../config/config.schema';
import type { EventSubscription } from './event-subscribers';
import { contextOfCarrier, isTracingOn } from '../telemetry/trace-context';
import type { RmqPublisherOptions } from './rmq.options';
import { QueueDeclarationError } from './subscriber-queue';
import { declareSubscriberQueues } from './subscriber-queues';

/**
 * With tracing on, each message is published in the trace its own `traceparent` header names (the relay's span of
 * its outbox row: EventPublisher): the amqplib instrumentation makes its publish span a child of the active context
 * and writes that span into the headers, and amqp-connection-manager publishes what it had to queue (a channel not
 * set up yet, or full) later, from its own continuation, where the active context is another message's or none.
 */
function publishInEachMessagesTrace(channel: Channel): void {
  const publish = channel.publish.bind(channel);
  channel.publish = (...args: Parameters<Channel['publish']>) => {
    const headers = args[3]?.headers as { traceparent?: unknown; tracestate?: unknown } | undefined;
    const sender = contextOfCarrier(headers);
    return sender ? context.with(sender, () => publish(...args)) : publish(...args);
  };
}

/** One message to publish: its routing key (the event type) and the record (data and AMQP properties). */
export interface EventMessage {
  pattern: string;
  record: RmqRecord;
}

/** What EventsClient is built from (ClientsModule's `customClass` hands it `options` as they are). */
export interface EventsClientOptions {
  rmq: RmqPublisherOptions;
  /** Every subscription of the application, whichever roles consume them. */
  subscriptions: readonly Pick<EventSubscription, 'queue' | 'patterns'>[];
  /** How their queues are declared (RABBITMQ_QUEUE_TYPE), as their subscribers declare them. */
  queueType: RabbitmqQueueType;
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
  private readonly queueType: RabbitmqQueueType;
  private readonly exchange: string;

  constructor(options: EventsClientOptions) {
    super(options.rmq);
    if (!options.rmq.exchange) throw new Error('the events client needs an exchange');
    this.exchange = options.rmq.exchange;
    this.subscriptions = options.subscriptions;
    this.queueType = options.queueType;
  }

  /**
   * A setup that fails (the channel closing while it declares, during a shutdown or a broker restart, or RabbitMQ
   * refusing a declaration) is emitted by amqp-connection-manager's channel wrapper as an 'error' event, which ends
   * the process when nothing listens (ClientRMQ listens on the connection only). It is logged instead; the wrapper
   * sets the channel up again on its next connection, and until then publishing waits or fails like any outage.
   * A subscriber queue RabbitMQ refuses (another queue type) needs an operator: that one is an error, saying what
   * to do (the start-up declaration stops the process on it; this is for a broker that was down at start).
   */
  override createChannel(): Promise<void> {
    const ready = super.createChannel();
    (this.channel as ChannelWrapper | null)?.on('error', (error: unknown) => {
      const message = `events channel setup failed: ${error instanceof Error ? error.message : String(error)}`;
      if (error instanceof QueueDeclarationError) this.logger.error(message);
      else this.logger.warn(message);
    });
    return ready;
  }

  override async setupChannel(channel: Channel, resolve: () => void): Promise<void> {
    if (isTracingOn()) publishInEachMessagesTrace(channel);
    // RabbitMQ closing the channel (a refused declaration) is also emitted on it: unheard, amqplib ends the whole
    // connection. The refused call rejects with the same error, which the wrapper's 'error' event carries.
    channel.on('error', () => undefined);
    // The exchange first (ClientRMQ's own setup), then the queues bound to it; ready only once all exist.
    await super.setupChannel(channel, () => undefined);
    await declareSubscriberQueues(channel, {
      exchange: this.exchange,
      queueType: this.queueType,
      subscriptions: this.subscriptions,
    });
    resolve();
  }

  /**
   * Publishes `messages` together on the confirm channel and waits for RabbitMQ's confirms of them all at once: one
   * outcome per message, in order, each settled by the broker's ack (or nack), or by the record's `timeout` option,
   * after which amqp-connection-manager drops a message it still holds (unsent or unconfirmed) rather than send it
   * later behind the caller's back. The messages leave in this order on one channel, and are exactly what `emit`
   * sends (the same serializer, dispatch hook and properties), without an `emit`'s Observable and connect() each.
   * Rejects, publishing nothing, when the client is not connected (RabbitMQ down): connect() fails until it is back.
   */
  async publishConfirmed(messages: readonly EventMessage[]): Promise<PromiseSettledResult<unknown>[]> {
    // Resolves once the channel is set up, the subscribers' queues and bindings included (setupChannel above).
    await this.connect();
    return Promise.allSettled(
      messages.map(({ pattern, record }) => this.dispatchEvent(this.createPacket(pattern, record))),
    );
  }
}
