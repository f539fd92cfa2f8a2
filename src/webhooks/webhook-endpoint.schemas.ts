import { z } from 'zod';
import { idSchema, listLimitSchema } from '../common/validation/list-query';
import { eventTypeSchema } from '../events/event.schemas';
import { allEvents, enabledEventValues } from './enabled-events';
import { webhookUrlLengthMax } from './webhook-url';

export const createWebhookEndpointSchema = z.strictObject({
  url: z
    .string()
    .min(1)
    .max(webhookUrlLengthMax)
    .meta({ description: 'Where deliveries are POSTed. In production mode: https to a public address only.' }),
  enabled_events: z
    .array(
      eventTypeSchema([allEvents], {
        description: 'An event type (e.g. `payment.succeeded`), or `*` for all of them, present and future.',
        example: 'payment.succeeded',
      }),
    )
    .min(1)
    .check((context) => {
      // Each value at most once (the stored list drops repeats), so no longer than every value there is.
      const maximum = enabledEventValues().length;
      if (context.value.length > maximum) {
        context.issues.push({ code: 'too_big', origin: 'array', maximum, inclusive: true, input: context.value });
      }
    })
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
