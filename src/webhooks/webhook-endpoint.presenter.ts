import { z } from 'zod';
import { listSchemaOf } from '../common/pagination';
import type { webhookDeliveries, webhookEndpoints } from '../database/schema';
import { apiComponent } from '../openapi/api-components';

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

const webhookEndpointShape = {
  id: z.string().meta({ description: 'we_…' }),
  object: z.literal('webhook_endpoint'),
  url: z.string(),
  enabled_events: z.array(z.string()).meta({ description: 'Event types delivered; `*` for all of them.' }),
  status: z.literal('enabled'),
  created_at: z.string().meta({ description: 'ISO 8601 UTC.' }),
};

/** A webhook endpoint as listed and read: never its secret. */
export const webhookEndpointSchema = apiComponent('WebhookEndpoint', z.strictObject(webhookEndpointShape));
export type WebhookEndpointObject = z.output<typeof webhookEndpointSchema>;

/** Only the creation response carries the secret (API.md: shown once). */
export const webhookEndpointCreatedSchema = apiComponent(
  'WebhookEndpointCreated',
  z.strictObject({
    ...webhookEndpointShape,
    secret: z.string().meta({
      description: 'whsec_…: the HMAC key of the `Payments-Signature` header, shown in this response only.',
    }),
  }),
);
export type WebhookEndpointCreated = z.output<typeof webhookEndpointCreatedSchema>;

export const webhookEndpointListSchema = apiComponent('WebhookEndpointList', listSchemaOf(webhookEndpointSchema));

export const webhookEndpointDeletedSchema = apiComponent(
  'WebhookEndpointDeleted',
  z.strictObject({ id: z.string(), object: z.literal('webhook_endpoint'), deleted: z.literal(true) }),
);
export type WebhookEndpointDeleted = z.output<typeof webhookEndpointDeletedSchema>;

/** One delivery attempt of an event to an endpoint. */
export const webhookDeliverySchema = apiComponent(
  'WebhookDelivery',
  z.strictObject({
    id: z.string().meta({ description: 'whd_…' }),
    object: z.literal('webhook_delivery'),
    endpoint_id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    attempt: z.number().int().meta({ description: '1 for the first try.' }),
    status_code: z.number().int().nullable().meta({ description: 'The endpoint’s HTTP status; null when none came.' }),
    error: z.string().nullable().meta({ description: 'Why no status came (timeout, connection refused, …).' }),
    duration_ms: z.number().int(),
    succeeded: z.boolean().meta({ description: 'Whether the endpoint answered 2xx.' }),
    created_at: z.string().meta({ description: 'ISO 8601 UTC.' }),
  }),
);
export type WebhookDeliveryObject = z.output<typeof webhookDeliverySchema>;

export const webhookDeliveryListSchema = apiComponent('WebhookDeliveryList', listSchemaOf(webhookDeliverySchema));

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
