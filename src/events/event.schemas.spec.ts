import { z } from 'zod';
import { defineEventTypes } from './event-types';
import { eventTypeSchema, listEventsQuerySchema } from './event.schemas';

describe('event type schemas', () => {
  // Built before anything is registered, as a controller's schema is when its file is imported first.
  const withAll = z.array(eventTypeSchema(['*']));

  it('accept a type registered after the schema was built', () => {
    expect(withAll.safeParse(['schema_probe.created']).success).toBe(false);
    defineEventTypes(['schema_probe.created', 'schema_probe.deleted']);
    expect(withAll.parse(['*', 'schema_probe.created'])).toEqual(['*', 'schema_probe.created']);
    expect(listEventsQuerySchema.parse({ type: 'schema_probe.deleted' })).toEqual({
      limit: 10,
      type: 'schema_probe.deleted',
    });
  });

  it('refuse anything else as z.enum does, listing every allowed value in the registry’s order', () => {
    for (const value of ['schema_probe.exploded', '**', 42, null]) {
      const issue = withAll.safeParse([value]).error?.issues[0];
      expect(issue).toMatchObject({
        code: 'invalid_value',
        path: [0],
        values: ['*', 'schema_probe.created', 'schema_probe.deleted'],
        message: 'Invalid option: expected one of "*"|"schema_probe.created"|"schema_probe.deleted"',
      });
      // The same message z.enum gives for the same values, which the API has always answered.
      const enumIssue = z.array(z.enum(['*', 'schema_probe.created', 'schema_probe.deleted'])).safeParse([value]);
      expect(issue?.message).toBe(enumIssue.error?.issues[0]?.message);
    }
    expect(listEventsQuerySchema.safeParse({ type: '*' }).error?.issues[0]?.message).toBe(
      'Invalid option: expected one of "schema_probe.created"|"schema_probe.deleted"',
    );
  });

  it('are documented as strings of the event type format', () => {
    const documented = z.toJSONSchema(eventTypeSchema(['*']), { target: 'openapi-3.0', unrepresentable: 'any' });
    expect(documented).toMatchObject({ type: 'string', example: 'payment.succeeded' });
    const pattern = new RegExp((documented as { pattern: string }).pattern);
    expect(['*', 'payment.requires_capture', 'widget.created'].every((value) => pattern.test(value))).toBe(true);
    expect(['**', 'payment.*', 'payment', '#'].some((value) => pattern.test(value))).toBe(false);
  });
});
