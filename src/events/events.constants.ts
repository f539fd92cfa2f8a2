/** DI token of the RabbitMQ ClientProxy that publishes domain events. */
export const EVENTS_CLIENT = Symbol('EVENTS_CLIENT');

/** DI token of every RabbitMQ subscription of the application (EventSubscription[]), whichever roles consume them. */
export const EVENT_SUBSCRIPTIONS = Symbol('EVENT_SUBSCRIPTIONS');

/** Outbox topic whose rows are events to publish to RabbitMQ. */
export const EVENT_PUBLISH_TOPIC = 'event.publish';

export interface EventPublishPayload {
  eventId: string;
  /** See orderingKeyOf: events sharing it are published in outbox order. */
  orderingKey: string;
}

/**
 * AMQP header of every published event naming its merchant, so that a subscriber can route the event (the webhook
 * fan-out: to the merchant's endpoints) without reading it back. A hint for routing only: whatever acts on the event
 * reads it, with its merchant, from PostgreSQL.
 */
export const EVENT_MERCHANT_HEADER = 'x-merchant-id';
