import { z } from 'zod';
import { idSchema, listLimitSchema } from '../events/event.schemas';
import { ENABLED_EVENT_VALUES } from './enabled-events';
import { webhookUrlLengthMax } from './webhook-url';

export const createWebhookEndpointSchema = z.strictObject({
  url: z
    .string()
    .min(1)
    .max(webhookUrlLengthMax)
    .meta({ description: 'Where deliveries are POSTed. In production mode: https to a public address only.' }),
  enabled_events: z
    .array(z.enum(ENABLED_EVENT_VALUES))
    .min(1)
    .max(ENABLED_EVENT_VALUES.length)
    .meta({ description: 'Event types to deliver; `*` for all of them.' }),
});
export type CreateWebhookEndpointInput = z.output<typeof createWebhookEndpointSchema>;

export const listWebhookEndpointsQuerySchema = z.strictObject({
  limit: listLimitSchema,
  starting_after: idSchema('we').optional(),
});
export type ListWebhookEndpointsQuery = z.output<typeof listWebhookEndpointsQuerySchema>;

export const listWebhookDeliveriesQuerySchema = z.strictObject({
  limit: listLimitSchema,
  starting_after: idSchema('whd').optional(),
  event_id: idSchema('evt').optional(),
});
export type ListWebhookDeliveriesQuery = z.output<typeof listWebhookDeliveriesQuerySchema>;
