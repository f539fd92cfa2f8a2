import type { webhookDeliveries, webhookEndpoints } from '../database/schema';

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

export interface WebhookEndpointObject {
  id: string;
  object: 'webhook_endpoint';
  url: string;
  enabled_events: string[];
  status: 'enabled';
  created_at: string;
}

/** Only the creation response carries the secret. */
export interface WebhookEndpointCreated extends WebhookEndpointObject {
  secret: string;
}

export interface WebhookDeliveryObject {
  id: string;
  object: 'webhook_delivery';
  endpoint_id: string;
  event_id: string;
  event_type: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  succeeded: boolean;
  created_at: string;
}

export function presentWebhookEndpoint(row: WebhookEndpointRow): WebhookEndpointObject {
  return {
    id: row.id,
    object: 'webhook_endpoint',
    url: row.url,
    enabled_events: row.enabledEvents,
    status: 'enabled',
    created_at: row.createdAt.toISOString(),
  };
}

export function presentWebhookDelivery(row: WebhookDeliveryRow): WebhookDeliveryObject {
  return {
    id: row.id,
    object: 'webhook_delivery',
    endpoint_id: row.endpointId,
    event_id: row.eventId,
    event_type: row.eventType,
    attempt: row.attempt,
    status_code: row.statusCode,
    error: row.error,
    duration_ms: row.durationMs,
    succeeded: row.statusCode !== null && row.statusCode >= 200 && row.statusCode < 300,
    created_at: row.createdAt.toISOString(),
  };
}
