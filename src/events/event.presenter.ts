import { listSchemaOf } from '../common/pagination';
import type { events } from '../database/schema';
import { apiComponent } from '../openapi/api-components';
import { type EventObject, type EventType, eventSchema } from './event-types';

export type EventRow = typeof events.$inferSelect;

export const eventListSchema = apiComponent('EventList', listSchemaOf(eventSchema));

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
