/** API.md: the event types, each also the RabbitMQ routing key of its messages. */
export const EVENT_TYPES = [
  'payment.processing',
  'payment.requires_capture',
  'payment.succeeded',
  'payment.failed',
  'payment.canceled',
  'refund.succeeded',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

const eventTypes: ReadonlySet<string> = new Set(EVENT_TYPES);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && eventTypes.has(value);
}

export interface EventObject {
  id: string;
  object: 'event';
  type: EventType;
  created_at: string;
  data: { object: Record<string, unknown> & { id: string } };
}

/**
 * The key whose events are published in order: a payment's id for its own events and for those of its refunds,
 * so a subscriber never sees a payment's later state before an earlier one.
 */
export function orderingKeyOf(object: Record<string, unknown> & { id: string }): string {
  return typeof object.payment_id === 'string' ? object.payment_id : object.id;
}
