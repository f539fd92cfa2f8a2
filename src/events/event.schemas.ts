import { z } from 'zod';
import { idSchema, listLimitSchema } from '../common/validation/list-query';
import { type EventType, eventTypeFormat, eventTypes, isEventType } from './event-types';

/**
 * A registered event type (or one of `also`, e.g. `*`), checked against the registry when a value is parsed, not
 * when the schema is built: a schema built before a feature's declaration file was imported still knows its types.
 * A value refused gets the issue z.enum gives (`Invalid option: expected one of "…"|"…"`), listing the types in
 * the registry's stable order.
 */
export function eventTypeSchema<const Also extends string = never>(
  also: readonly Also[] = [],
  documentation: { description: string; example: string } = {
    description: 'An event type, e.g. `payment.succeeded`.',
    example: 'payment.succeeded',
  },
) {
  const alternatives = also.map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = `^(?:${[...alternatives, eventTypeFormat.source.slice(1, -1)].join('|')})$`;
  return z
    .custom<EventType | Also>()
    .check((context) => {
      const value = context.value as unknown;
      if ((also as readonly unknown[]).includes(value) || isEventType(value)) return;
      context.issues.push({ code: 'invalid_value', values: [...also, ...eventTypes()], input: value });
    })
    .meta({ type: 'string', pattern, ...documentation });
}

export const listEventsQuerySchema = z.strictObject({
  limit: listLimitSchema,
  starting_after: idSchema('evt').optional(),
  type: eventTypeSchema().optional(),
});
export type ListEventsQuery = z.output<typeof listEventsQuerySchema>;
