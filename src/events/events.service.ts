import { Injectable } from '@nestjs/common';
import type { Context } from '@opentelemetry/api';
import { and, eq } from 'drizzle-orm';
import { apiErrors } from '../common/errors/api-error';
import { newId } from '../common/ids';
import { type ListObject, pageOf } from '../common/pagination';
import { Database, type Tx } from '../database/database';
import type { CombinedWrite } from '../database/combined-write';
import { returning, runStatement, type Statement, statement } from '../database/statement';
import { type Keyset, newestFirst, rowsAfter } from '../database/keyset';
import { events } from '../database/schema';
import { rowsOf } from '../database/raw-rows';
import { OutboxService, type OutboxRowInput } from '../outbox/outbox.service';
import { type EventObject, type EventType, isEventType, orderingKeyOf } from './event-types';
import { presentEvent } from './event.presenter';
import type { ListEventsQuery } from './event.schemas';
import { EVENT_PUBLISH_TOPIC, type EventPublishPayload } from './events.constants';

export type { EventObject, EventType } from './event-types';

/** A merchant's events, newest first (events_merchant_sequence_idx; with a type, ..._type_sequence_idx). */
const eventsKeyset: Keyset = { id: events.id, order: [events.sequence], what: 'event' };

/** One event for `recordMany`: the merchant it belongs to, its type, and the object it describes. */
export interface EventToRecord {
  merchantId: string;
  type: EventType;
  object: Record<string, unknown> & { id: string };
  /** The trace the event's publication continues (tracing on); the active one when omitted. */
  traceContext?: Context | undefined;
}

export interface StoredEvent {
  merchantId: string;
  event: EventObject;
}

/** Domain events, written in the same transaction as the change they describe. */
@Injectable()
export class EventsService {
  constructor(
    private readonly database: Database,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * Records the event and, in the same transaction, the outbox row that publishes it to RabbitMQ once the
   * transaction commits (transactional outbox: an event is published if and only if its change committed).
   */
  async record(
    tx: Tx,
    merchantId: string,
    type: EventType,
    object: Record<string, unknown> & { id: string },
  ): Promise<EventObject> {
    const [event] = await this.recordMany(tx, [{ merchantId, type, object }]);
    return event!;
  }

  /**
   * `record` for many events at once: one statement for the events and one for their outbox rows, in the order
   * given, which is the order they are published in (per payment, as `orderingKeyOf` says).
   */
  async recordMany(tx: Tx, entries: readonly EventToRecord[]): Promise<EventObject[]> {
    if (entries.length === 0) return [];
    const rows = eventRowsOf(entries);
    const insert = eventsInsert(rows);
    const inserted = await runStatement<{ id: string; created_at: string }>(tx, returning(insert, 'id, created_at'));
    const createdAt = new Map(inserted.rows.map((row) => [row.id, new Date(row.created_at)]));
    await this.outbox.addMany(tx, publishRowsOf(rows, entries));
    return rows.map((row) => ({
      id: row.id,
      object: 'event',
      type: row.type,
      created_at: createdAt.get(row.id)!.toISOString(),
      data: row.data,
    }));
  }

  /**
   * `recordMany` as parts of a combined write (the events and their outbox rows sent with the transaction's other
   * writes in one statement); the events' ids, in their order.
   */
  recordManyTo(writes: CombinedWrite, entries: readonly EventToRecord[]): string[] {
    if (entries.length === 0) return [];
    const rows = eventRowsOf(entries);
    writes.add(eventsInsert(rows));
    this.outbox.addManyTo(writes, publishRowsOf(rows, entries));
    return rows.map((row) => row.id);
  }

  async get(merchantId: string, eventId: string): Promise<EventObject> {
    const [row] = await this.database.db
      .select()
      .from(events)
      .where(and(eq(events.id, eventId), eq(events.merchantId, merchantId)))
      .limit(1);
    if (!row) throw apiErrors.resourceMissing('event', eventId);
    return presentEvent(row);
  }

  /** Newest first, in commit-independent insertion order (`sequence`). */
  async list(merchantId: string, query: ListEventsQuery): Promise<ListObject<EventObject>> {
    // A list may lag behind the merchant's last writes (a replica's): an event by id reads the primary.
    const reads = this.database.forListReads();
    const own = eq(events.merchantId, merchantId);
    const after = await rowsAfter(reads, eventsKeyset, own, query.starting_after);
    const rows = await reads.db
      .select()
      .from(events)
      .where(and(own, query.type ? eq(events.type, query.type) : undefined, after))
      .orderBy(...newestFirst(eventsKeyset))
      .limit(query.limit + 1);
    return pageOf(rows, query.limit, presentEvent);
  }

  /**
   * Events by id, whatever their merchant, in one statement run by `read` (the publisher passes the relay's
   * transaction, which holds its batch): never for a client. Ids with no event are absent from the map.
   */
  async findMany(
    eventIds: readonly string[],
    read: (query: Statement) => Promise<Record<string, unknown>[]>,
  ): Promise<Map<string, StoredEvent>> {
    if (eventIds.length === 0) return new Map();
    const rows = await read(statement`SELECT * FROM events WHERE id = ANY(${eventIds}::text[])`);
    return new Map(
      rowsOf(events, rows).map((row) => [row.id, { merchantId: row.merchantId, event: presentEvent(row) }]),
    );
  }

  /** An event by id, whatever its merchant: for the subscribers, never for a client (the publisher reads a batch). */
  async find(eventId: string): Promise<StoredEvent | undefined> {
    const [row] = await this.database.db.select().from(events).where(eq(events.id, eventId)).limit(1);
    return row ? { merchantId: row.merchantId, event: presentEvent(row) } : undefined;
  }
}

interface EventRow {
  id: string;
  merchantId: string;
  type: EventType;
  objectId: string;
  data: { object: Record<string, unknown> & { id: string } };
}

function eventRowsOf(entries: readonly EventToRecord[]): EventRow[] {
  for (const { type } of entries) {
    // Declared is not registered: the feature's declaration file has to be imported where its types are
    // recorded, or endpoints could not subscribe to the type nor clients filter on it.
    if (!isEventType(type)) {
      const name: string = type;
      throw new Error(
        `event type ${name} is not registered: import its feature's defineEventTypes file where it is recorded`,
      );
    }
  }
  return entries.map(({ merchantId, type, object }) => ({
    id: newId('evt'),
    merchantId,
    type,
    objectId: object.id,
    data: { object },
  }));
}

/** One statement for the events, in the order given. */
function eventsInsert(rows: readonly EventRow[]): Statement {
  return statement`
    INSERT INTO events (id, merchant_id, type, object_id, data)
    SELECT event.id, event.merchant_id, event.type, event.object_id, event.data
    FROM unnest(${rows.map((row) => row.id)}::text[], ${rows.map((row) => row.merchantId)}::text[],
                ${rows.map((row) => row.type)}::text[], ${rows.map((row) => row.objectId)}::text[],
                ${rows.map((row) => JSON.stringify(row.data))}::jsonb[]) WITH ORDINALITY
      AS event(id, merchant_id, type, object_id, data, position)
    ORDER BY event.position`;
}

/** The outbox rows that publish the events, in their order (per payment, as `orderingKeyOf` says). */
function publishRowsOf(rows: readonly EventRow[], entries: readonly EventToRecord[]): OutboxRowInput[] {
  return rows.map((row, index) => {
    const publish: EventPublishPayload = { eventId: row.id, orderingKey: orderingKeyOf(entries[index]!.object) };
    return { topic: EVENT_PUBLISH_TOPIC, payload: { ...publish }, traceContext: entries[index]!.traceContext };
  });
}
