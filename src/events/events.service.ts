import { Injectable } from '@nestjs/common';
import { newId } from '../common/ids';
import type { Tx } from '../database/database';
import { events } from '../database/schema';

export const EVENT_TYPES = [
  'payment.processing',
  'payment.requires_capture',
  'payment.succeeded',
  'payment.failed',
  'payment.canceled',
  'refund.succeeded',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EventObject {
  id: string;
  object: 'event';
  type: EventType;
  created_at: string;
  data: { object: Record<string, unknown> & { id: string } };
}

/** Domain events, written in the same transaction as the change they describe. */
@Injectable()
export class EventsService {
  async record(
    tx: Tx,
    merchantId: string,
    type: EventType,
    object: Record<string, unknown> & { id: string },
  ): Promise<EventObject> {
    const id = newId('evt');
    const [row] = await tx
      .insert(events)
      .values({ id, merchantId, type, objectId: object.id, data: { object } })
      .returning({ createdAt: events.createdAt });
    return { id, object: 'event', type, created_at: row!.createdAt.toISOString(), data: { object } };
  }
}
