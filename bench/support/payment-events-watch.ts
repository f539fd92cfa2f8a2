/**
 * The benchmark's own subscriber to the app's events: an exclusive, auto-deleted queue bound to the run's events
 * exchange for `payment.*` (as another service would bind its own), recording per payment when its
 * `payment.processing` and its final event (`payment.succeeded`, `payment.failed`, `payment.requires_capture`)
 * arrived, on this process's performance.now() clock — the open-loop driver's. A payment is settled once both have
 * arrived: final, with both events published. The queue goes with the connection (close(), or this process's end).
 */
import { randomBytes } from 'node:crypto';
import { type Channel, type ChannelModel, connect, type ConsumeMessage } from 'amqplib';

const finalTypes = new Set(['payment.succeeded', 'payment.failed', 'payment.requires_capture']);

interface PaymentEvents {
  processingAtMs?: number;
  finalAtMs?: number;
  finalType?: string;
}

export class PaymentEventsWatch {
  private readonly payments = new Map<string, PaymentEvents>();
  private readonly eventIds = new Set<string>();
  private settled = 0;
  /** Messages whose event id had arrived before (RabbitMQ delivers at least once). */
  duplicates = 0;
  /** Messages that were not a payment event the watch understands. */
  unreadable = 0;

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: Channel,
  ) {}

  static async start(rabbitmqUrl: string, exchange: string): Promise<PaymentEventsWatch> {
    const connection = await connect(rabbitmqUrl);
    try {
      const channel = await connection.createChannel();
      // The app's own declaration (ClientRMQ: durable topic exchange), so whichever side comes first creates it.
      await channel.assertExchange(exchange, 'topic', { durable: true });
      const { queue } = await channel.assertQueue(`${exchange}.bench-watch-${randomBytes(4).toString('hex')}`, {
        exclusive: true,
        autoDelete: true,
      });
      await channel.bindQueue(queue, exchange, 'payment.*');
      const watch = new PaymentEventsWatch(connection, channel);
      await channel.consume(queue, (message) => message && watch.take(message), { noAck: true });
      return watch;
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
  }

  private take(message: ConsumeMessage): void {
    const atMs = performance.now();
    let event: { id?: unknown; type?: unknown; data?: { object?: { id?: unknown } } } | undefined;
    try {
      // The @nestjs/microservices envelope: `{ pattern, data }`, data the event object.
      event = (JSON.parse(message.content.toString('utf8')) as { data?: typeof event }).data;
    } catch {
      event = undefined;
    }
    const paymentId = event?.data?.object?.id;
    const type = message.fields.routingKey;
    if (typeof paymentId !== 'string' || typeof event?.id !== 'string') {
      this.unreadable += 1;
      return;
    }
    if (this.eventIds.has(event.id)) {
      this.duplicates += 1;
      return;
    }
    this.eventIds.add(event.id);
    const payment = this.payments.get(paymentId) ?? {};
    const wasSettled = this.isSettled(payment);
    if (type === 'payment.processing') payment.processingAtMs ??= atMs;
    else if (finalTypes.has(type) && payment.finalAtMs === undefined) {
      payment.finalAtMs = atMs;
      payment.finalType = type;
    }
    this.payments.set(paymentId, payment);
    if (!wasSettled && this.isSettled(payment)) this.settled += 1;
  }

  private isSettled(payment: PaymentEvents): boolean {
    return payment.processingAtMs !== undefined && payment.finalAtMs !== undefined;
  }

  /** Payments with both events arrived, since the watch started. */
  get settledCount(): number {
    return this.settled;
  }

  /** When the later of a payment's two events arrived (performance.now() ms), or undefined while one is missing. */
  settledAtMs(paymentId: string): number | undefined {
    const payment = this.payments.get(paymentId);
    return payment && this.isSettled(payment) ? Math.max(payment.processingAtMs!, payment.finalAtMs!) : undefined;
  }

  /** Settled payments by final event type. */
  finalTypes(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const payment of this.payments.values()) {
      if (payment.finalType) counts[payment.finalType] = (counts[payment.finalType] ?? 0) + 1;
    }
    return counts;
  }

  async close(): Promise<void> {
    await this.channel.close().catch(() => undefined);
    await this.connection.close();
  }
}
