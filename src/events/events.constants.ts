/** DI token of the RabbitMQ ClientProxy that publishes domain events. */
export const EVENTS_CLIENT = Symbol('EVENTS_CLIENT');

/** Outbox topic whose rows are events to publish to RabbitMQ. */
export const EVENT_PUBLISH_TOPIC = 'event.publish';

export interface EventPublishPayload {
  eventId: string;
  /** See orderingKeyOf: events sharing it are published in outbox order. */
  orderingKey: string;
}
