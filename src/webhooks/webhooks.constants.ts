import type { RetryBackoff } from './retry-schedule';

/** The BullMQ queue of webhook deliveries (one job per endpoint and event). */
export const WEBHOOKS_QUEUE = 'webhooks';
export const DELIVER_WEBHOOK_JOB = 'deliver-webhook';
/** The BullMQ backoff type of delivery jobs, served by webhookBackoffStrategy. */
export const WEBHOOK_BACKOFF_TYPE = 'webhook-equal-jitter';

/** Transport id of the webhook fan-out subscriber: its @EventPattern handlers run on its own RabbitMQ queue. */
export const WEBHOOK_EVENTS_TRANSPORT = Symbol('webhook-events');

/** Every event: webhook endpoints choose their types, so the fan-out takes all and filters per endpoint. */
export const WEBHOOK_EVENTS_PATTERN = '#';

export interface WebhookDeliveryJobData {
  endpointId: string;
  eventId: string;
  /** The retry schedule the delivery was enqueued with (WEBHOOK_RETRY_*), read by the backoff strategy. */
  retry: RetryBackoff;
}

/** One job per endpoint and event, so a redelivered RabbitMQ message enqueues nothing new. */
export function webhookDeliveryJobId(endpointId: string, eventId: string): string {
  return `${endpointId}-${eventId}`;
}
