import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { RmqRecordBuilder, type RmqRecordOptions } from '@nestjs/microservices';
import { statement } from '../database/statement';
import { carrierOf, contextOfCarrier } from '../telemetry/trace-context';
import { type DispatchOutcome, type OutboxBatch, type OutboxMessage, sentOutcome } from '../outbox/outbox.relay';
import type { EventObject } from './event-types';
import type { EventsClient } from './events-client';
import {
  EVENT_MERCHANT_HEADER,
  EVENT_PUBLISH_TOPIC,
  EVENTS_CLIENT,
  type EventPublishPayload,
} from './events.constants';
import { eventsLimits } from './events.limits';
import { EventsService } from './events.service';
import { type BatchEvent, type EarlierUnsentRow, nextWave, type Settled } from './publish-plan';
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

const failedOutcome = (error: unknown): DispatchOutcome => ({ status: 'failed', error });

/** A batch event to publish: its outbox row's (the trace it continues, when tracing is on) and its event's id. */
interface PlannedEvent extends BatchEvent {
  eventId: string;
  traceContext?: OutboxMessage['traceContext'];
}

/** A batch event whose stored event is loaded: what is published for it. */
interface LoadedEvent extends PlannedEvent {
  event: EventObject;
  merchantId: string;
}

/**
 * The relay's dispatcher for events: publishes a batch of events through the RMQ client and reports each sent only
 * once RabbitMQ has confirmed it.
 *
 * Why a confirm means the event is safe: ClientRMQ publishes on an amqp-connection-manager ChannelWrapper, which
 * opens a confirm channel by default and settles each publish on the broker's ack (or nack). For a persistent
 * message routed to durable queues, RabbitMQ acks only once the queues have it safely. The one gap, a message
 * buffered in memory while the connection is down and sent later behind the relay's back, is closed by the
 * per-message `timeout`, which ends at the batch's deadline.
 *
 * Per batch: one read for the stored events, one for the earlier unsent rows of the batch's ordering keys, then
 * waves (publish-plan.ts): each wave is published together and its confirms awaited once, and carries at most one
 * event per ordering key, so a payment's events go out in outbox order whatever the broker does with any of them.
 */
@Injectable()
export class EventPublisher implements BeforeApplicationShutdown {
  private readonly confirmed = new RecentIds(eventsLimits.confirmedIdsRemembered);
  private stopping = false;

  constructor(
    @Inject(EVENTS_CLIENT) private readonly client: EventsClient,
    private readonly events: EventsService,
  ) {}

  /** The relay may still be draining while the client closes: refuse new work instead of reconnecting. */
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  async dispatchBatch(messages: readonly OutboxMessage[], batch: OutboxBatch): Promise<DispatchOutcome[]> {
    if (this.stopping) return messages.map(() => failedOutcome(new Error('the event publisher is shutting down')));
    const outcomes = new Map<string, DispatchOutcome>();
    const planned: PlannedEvent[] = [];
    for (const message of messages) {
      if (!isPublishPayload(message.payload)) {
        outcomes.set(message.id, failedOutcome(new Error(`malformed ${EVENT_PUBLISH_TOPIC} outbox row ${message.id}`)));
        continue;
      }
      const { eventId, orderingKey } = message.payload;
      const { traceContext } = message;
      planned.push({ id: message.id, orderingKey, sequence: BigInt(message.sequence), eventId, traceContext });
      // Published and confirmed by this process, but the relay's transaction that marked it did not commit (a lost
      // connection): it is on RabbitMQ already, and publishing it again would only make a duplicate.
      if (this.confirmed.has(message.id)) outcomes.set(message.id, sentOutcome);
    }
    const loaded = await this.loadEvents(
      planned.filter((event) => !outcomes.has(event.id)),
      batch,
    );
    for (const event of planned) {
      if (!outcomes.has(event.id) && !loaded.has(event.id))
        outcomes.set(event.id, failedOutcome(new Error(`event ${event.eventId} of outbox row ${event.id} not found`)));
    }
    const earlier = await this.earlierUnsentRows(planned, batch);
    await this.publishInWaves(planned, earlier, loaded, outcomes, batch);
    return messages.map((message) => {
      const outcome = outcomes.get(message.id);
      if (!outcome) throw new Error(`outbox row ${message.id} was neither published nor held`);
      return outcome;
    });
  }

  private async publishInWaves(
    planned: readonly BatchEvent[],
    earlier: readonly EarlierUnsentRow[],
    loaded: ReadonlyMap<string, LoadedEvent>,
    outcomes: Map<string, DispatchOutcome>,
    batch: OutboxBatch,
  ): Promise<void> {
    const settled = new Map<string, Settled>();
    for (const { id } of planned) {
      const outcome = outcomes.get(id);
      if (outcome) settled.set(id, outcome.status);
    }
    const orderingKeyOf = new Map(planned.map((event) => [event.id, event.orderingKey]));
    // Each wave settles at least one event, so there are at most as many waves as events.
    for (let waves = 0; waves <= planned.length; waves += 1) {
      const wave = nextWave(planned, earlier, settled);
      for (const { id, behind, behindInBatch } of wave.hold) {
        const orderingKey = orderingKeyOf.get(id)!;
        const reason = behindInBatch
          ? `an earlier event of ${orderingKey} (outbox row ${behind}) failed or is held`
          : `an earlier event of ${orderingKey} (outbox row ${behind}) is not published yet`;
        outcomes.set(id, { status: 'held', reason });
        settled.set(id, 'held');
      }
      if (wave.publish.length === 0) return;
      const timeoutMs = batch.deadlineAtMs - Date.now();
      const results: PromiseSettledResult<unknown>[] =
        timeoutMs < eventsLimits.publishTimeMinMs
          ? wave.publish.map(() => ({
              status: 'rejected',
              reason: new Error(`the event batch's deadline is too close to publish (${timeoutMs} ms left)`),
            }))
          : await this.client
              .publishConfirmed(
                wave.publish.map((id) => {
                  const { event, merchantId, traceContext } = loaded.get(id)!;
                  return { pattern: event.type, record: eventRecord(event, merchantId, timeoutMs, traceContext) };
                }),
              )
              .catch((error: unknown) => wave.publish.map(() => ({ status: 'rejected', reason: error }) as const));
      wave.publish.forEach((id, index) => {
        const result = results[index]!;
        if (result.status === 'fulfilled') this.confirmed.add(id);
        outcomes.set(id, result.status === 'fulfilled' ? sentOutcome : failedOutcome(result.reason));
        settled.set(id, result.status === 'fulfilled' ? 'sent' : 'failed');
      });
    }
    throw new Error('the event batch did not settle');
  }

  /** The stored events of the batch, by outbox row id, in one read on the relay's transaction. */
  private async loadEvents(planned: readonly PlannedEvent[], batch: OutboxBatch): Promise<Map<string, LoadedEvent>> {
    const byId = await this.events.findMany(
      planned.map((event) => event.eventId),
      (query) => batch.read(query),
    );
    const loaded = new Map<string, LoadedEvent>();
    for (const event of planned) {
      const stored = byId.get(event.eventId);
      if (stored) loaded.set(event.id, { ...event, ...stored });
    }
    return loaded;
  }

  /**
   * One relay publishes a batch in outbox order per ordering key (the waves). Several relays take disjoint batches
   * (SKIP LOCKED), so one of them could otherwise publish `payment.succeeded` while another still holds
   * `payment.processing`: an event waits until every earlier row of its ordering key is either marked sent or was
   * confirmed by this process (in a batch whose marking did not commit). This reads, in one statement, the unsent
   * rows of the batch's ordering keys that come before its last row and are not in it; the plan holds the events
   * behind them.
   */
  private async earlierUnsentRows(planned: readonly BatchEvent[], batch: OutboxBatch): Promise<EarlierUnsentRow[]> {
    const last = planned.at(-1);
    if (!last) return [];
    // The range from the topic's head to the batch's last row is the batch and the rows it skipped (held by other
    // relays, or committed after it was read), on outbox_unsent_topic_idx; the lower bound is for the planner, as in
    // the relay's own read (and orders by outbox.sequence, not by the text column of the same name).
    const rows = await batch.read<{ id: string; sequence: string; orderingKey: string }>(statement`
      SELECT id, sequence::text AS sequence, payload->>'orderingKey' AS "orderingKey" FROM outbox
      WHERE sent_at IS NULL AND topic = ${EVENT_PUBLISH_TOPIC}
        AND sequence >= (SELECT min(sequence) FROM outbox WHERE sent_at IS NULL AND topic = ${EVENT_PUBLISH_TOPIC})
        AND sequence < ${last.sequence.toString()}::bigint
        AND payload->>'orderingKey' = ANY(${[...new Set(planned.map((event) => event.orderingKey))]}::text[])
        AND NOT (id = ANY(${planned.map((event) => event.id)}::text[]))
      ORDER BY outbox.sequence LIMIT ${eventsLimits.earlierUnsentRowsMax}`);
    const earlier: EarlierUnsentRow[] = rows
      .filter((row) => !this.confirmed.has(row.id))
      .map((row) => ({ id: row.id, orderingKey: row.orderingKey, sequence: BigInt(row.sequence) }));
    const lastRead = rows.at(-1);
    if (rows.length === eventsLimits.earlierUnsentRowsMax && lastRead) {
      // Rows past the limit were not read: every event after the last one read is held, whatever its key.
      const sequence = BigInt(lastRead.sequence);
      for (const orderingKey of new Set(planned.map((event) => event.orderingKey)))
        earlier.push({ id: lastRead.id, orderingKey, sequence });
    }
    return earlier;
  }
}

/**
 * The message: the event object as data, its id as message id (consumers drop duplicates by it), its merchant in a
 * header (EVENT_MERCHANT_HEADER), persistent; with tracing on, its trace context in the W3C `traceparent` and
 * `tracestate` headers (which the amqplib instrumentation sets again to its publish span, a child of this context).
 */
function eventRecord(
  event: EventObject,
  merchantId: string,
  timeoutMs: number,
  traceContext: OutboxMessage['traceContext'],
) {
  const options: ConfirmedPublishOptions = {
    persistent: true,
    messageId: event.id,
    type: event.type,
    headers: { [EVENT_MERCHANT_HEADER]: merchantId, ...carrierOf(contextOfCarrier(traceContext)) },
    timestamp: Math.floor(Date.parse(event.created_at) / 1000),
    contentType: 'application/json',
    timeout: timeoutMs,
  };
  return new RmqRecordBuilder(event).setOptions(options).build();
}
