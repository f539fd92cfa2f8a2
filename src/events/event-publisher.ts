import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { type ClientProxy, RmqRecordBuilder, type RmqRecordOptions } from '@nestjs/microservices';
import { sql } from 'drizzle-orm';
import { lastValueFrom } from 'rxjs';
import { Database } from '../database/database';
import type { OutboxMessage } from '../outbox/outbox.relay';
import type { EventObject } from './event-types';
import { EVENT_PUBLISH_TOPIC, EVENTS_CLIENT, type EventPublishPayload } from './events.constants';
import { eventsLimits } from './events.limits';
import { EventsService } from './events.service';
import { RecentIds } from './recent-ids';

/**
 * amqp-connection-manager's ChannelWrapper.publish honours a per-message `timeout` (it drops the message from its
 * in-memory buffer and rejects); ClientRMQ hands the record's options to it as they are.
 */
interface ConfirmedPublishOptions extends RmqRecordOptions {
  timeout: number;
}

function isPublishPayload(payload: Record<string, unknown>): payload is Record<string, unknown> & EventPublishPayload {
  return typeof payload.eventId === 'string' && typeof payload.orderingKey === 'string';
}

/**
 * The relay's dispatcher for events: publishes one event through the RMQ ClientProxy and resolves only once
 * RabbitMQ has confirmed it.
 *
 * Why `emit` resolving means "confirmed": ClientRMQ publishes on an amqp-connection-manager ChannelWrapper, which
 * opens a confirm channel by default, and completes the emit from the publish callback, which runs on the
 * broker's ack (or fails on its nack). For a persistent message routed to durable queues, RabbitMQ acks only
 * once the queues have it safely. The one gap, a message buffered in memory while the connection is down and
 * sent later behind the relay's back, is closed by the per-message `timeout`.
 */
@Injectable()
export class EventPublisher implements BeforeApplicationShutdown {
  private readonly confirmed = new RecentIds(eventsLimits.confirmedIdsRemembered);
  private stopping = false;

  constructor(
    @Inject(EVENTS_CLIENT) private readonly client: ClientProxy,
    private readonly events: EventsService,
    private readonly database: Database,
  ) {}

  /** The relay may still be draining while the client closes: refuse new work instead of reconnecting. */
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  async publish(message: OutboxMessage): Promise<void> {
    if (this.stopping) throw new Error('the event publisher is shutting down');
    if (!isPublishPayload(message.payload))
      throw new Error(`malformed ${EVENT_PUBLISH_TOPIC} outbox row ${message.id}`);
    await this.assertEarlierEventsPublished(message.id, message.payload.orderingKey);
    const stored = await this.events.find(message.payload.eventId);
    if (!stored) throw new Error(`event ${message.payload.eventId} of outbox row ${message.id} not found`);
    await lastValueFrom(this.client.emit(stored.event.type, eventRecord(stored.event)), { defaultValue: undefined });
    this.confirmed.add(message.id);
  }

  /**
   * One relay publishes rows in outbox order and stops a topic at its first failure, which keeps a payment's
   * events in order. Several relays take disjoint batches (SKIP LOCKED), so one of them could otherwise publish
   * `payment.succeeded` while another still holds `payment.processing`: a row waits until every earlier row of
   * its ordering key is either marked sent or was confirmed by this process (its own batch in progress).
   */
  private async assertEarlierEventsPublished(outboxId: string, orderingKey: string): Promise<void> {
    const earlier = await this.database.db.execute<{ id: string }>(sql`
      SELECT earlier.id FROM outbox earlier
      WHERE earlier.sent_at IS NULL AND earlier.topic = ${EVENT_PUBLISH_TOPIC}
        AND earlier.sequence < (SELECT sequence FROM outbox WHERE id = ${outboxId})
        AND earlier.payload->>'orderingKey' = ${orderingKey}
      ORDER BY earlier.sequence
      LIMIT ${eventsLimits.orderingLookbackMax}`);
    const pending = earlier.rows.find((row) => !this.confirmed.has(row.id));
    if (pending) throw new Error(`an earlier event of ${orderingKey} (outbox row ${pending.id}) is not published yet`);
  }
}

/** The message: the event object as data, its id as message id (consumers drop duplicates by it), persistent. */
function eventRecord(event: EventObject) {
  const options: ConfirmedPublishOptions = {
    persistent: true,
    messageId: event.id,
    type: event.type,
    timestamp: Math.floor(Date.parse(event.created_at) / 1000),
    contentType: 'application/json',
    timeout: eventsLimits.publishConfirmTimeoutMs,
  };
  return new RmqRecordBuilder(event).setOptions(options).build();
}
