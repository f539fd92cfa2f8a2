import { type Channel, type ChannelModel, connect, type ConsumeMessage } from 'amqplib';
import type { EventObject } from '../../src/events/event-types';
import { rabbitmqServerUrl } from './events-rabbitmq';
import { testName } from './test-names';

export interface ReceivedEvent {
  routingKey: string;
  messageId: string | undefined;
  persistent: boolean;
  contentType: string | undefined;
  /** The message's AMQP headers. */
  headers: Record<string, unknown>;
  /** The @nestjs/microservices envelope: `{ pattern, data }`. */
  pattern: string;
  event: EventObject;
  receivedAtMs: number;
}

/**
 * A subscriber of the test's own, straight on RabbitMQ (never through a proxy): an exclusive queue bound to the
 * events exchange, as another service would bind its own.
 */
export class EventsConsumer {
  readonly received: ReceivedEvent[] = [];

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
    readonly queue: string,
  ) {}

  static async start(exchange: string, bindingKeys: readonly string[] = ['#']): Promise<EventsConsumer> {
    const connection = await connect(rabbitmqServerUrl);
    const channel = await connection.createChannel();
    // The same declaration as the app's, so whichever side comes first creates the exchange.
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue } = await channel.assertQueue(`${testName()}.consumer`, {
      exclusive: true,
      autoDelete: true,
    });
    for (const key of bindingKeys) await channel.bindQueue(queue, exchange, key);
    const consumer = new EventsConsumer(connection, channel, queue);
    await channel.consume(queue, (message) => message && consumer.take(message));
    return consumer;
  }

  private take(message: ConsumeMessage): void {
    const envelope = JSON.parse(message.content.toString('utf8')) as { pattern: string; data: EventObject };
    this.received.push({
      routingKey: message.fields.routingKey,
      messageId: message.properties.messageId as string | undefined,
      persistent: message.properties.deliveryMode === 2,
      contentType: message.properties.contentType as string | undefined,
      headers: message.properties.headers ?? {},
      pattern: envelope.pattern,
      event: envelope.data,
      receivedAtMs: Date.now(),
    });
    this.channel.ack(message);
  }

  /** Messages about one payment or refund, in arrival order. */
  about(objectId: string): ReceivedEvent[] {
    return this.received.filter((message) => message.event.data.object.id === objectId);
  }

  /** Distinct event ids received: a consumer drops duplicates by id. */
  distinctEventIds(): Set<string> {
    return new Set(this.received.map((message) => message.event.id));
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
