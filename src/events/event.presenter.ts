import type { events } from '../database/schema';
import type { EventObject, EventType } from './event-types';

export type EventRow = typeof events.$inferSelect;

/** The API's event object; `data.object` is the snapshot of the payment or refund taken when the event happened. */
export function presentEvent(row: EventRow): EventObject {
  return {
    id: row.id,
    object: 'event',
    type: row.type as EventType,
    created_at: row.createdAt.toISOString(),
    data: row.data as EventObject['data'],
  };
}
