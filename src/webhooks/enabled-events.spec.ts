import { defineEventTypes, eventTypes } from '../events/event-types';
import { enabledEventValues, endpointReceives, normalizeEnabledEvents } from './enabled-events';
import { createWebhookEndpointSchema } from './webhook-endpoint.schemas';

// Types of a feature of this spec's own (the application's are declared by its features' files).
const types = defineEventTypes(['gadget.created', 'gadget.updated', 'gadget.deleted']);

describe('enabled events', () => {
  it('may be * or any registered event type', () => {
    expect(enabledEventValues()).toEqual(['*', ...eventTypes()]);
    expect(enabledEventValues()).toEqual(
      expect.arrayContaining(['gadget.created', 'gadget.updated', 'gadget.deleted']),
    );
  });

  it('lets * receive every event type', () => {
    for (const type of types) expect(endpointReceives(['*'], type)).toBe(true);
  });

  it('lets a list receive exactly its types', () => {
    const enabled = ['gadget.created', 'gadget.deleted'];
    expect(types.filter((type) => endpointReceives(enabled, type))).toEqual(['gadget.created', 'gadget.deleted']);
  });

  it('stores * alone, and each type once', () => {
    expect(normalizeEnabledEvents(['payment.failed', '*', 'payment.failed'])).toEqual(['*']);
    expect(normalizeEnabledEvents(['payment.failed', 'payment.succeeded', 'payment.failed'])).toEqual([
      'payment.failed',
      'payment.succeeded',
    ]);
  });

  describe('in a new endpoint', () => {
    const url = 'https://example.com/hook';

    it('accept registered types and *', () => {
      const input = { url, enabled_events: ['gadget.created', '*'] };
      expect(createWebhookEndpointSchema.parse(input)).toEqual(input);
    });

    it('refuse an unregistered type, naming the allowed values', () => {
      const issue = createWebhookEndpointSchema.safeParse({
        url,
        enabled_events: ['gadget.created', 'gadget.exploded'],
      }).error?.issues[0];
      expect(issue).toMatchObject({
        code: 'invalid_value',
        path: ['enabled_events', 1],
        values: enabledEventValues(),
        message: `Invalid option: expected one of ${enabledEventValues()
          .map((value) => `"${value}"`)
          .join('|')}`,
      });
    });

    it('refuse an empty list, and one longer than every allowed value', () => {
      expect(createWebhookEndpointSchema.safeParse({ url, enabled_events: [] }).error?.issues[0]).toMatchObject({
        code: 'too_small',
        path: ['enabled_events'],
      });
      const maximum = enabledEventValues().length;
      const longest = [...enabledEventValues()];
      expect(createWebhookEndpointSchema.safeParse({ url, enabled_events: longest }).success).toBe(true);
      expect(
        createWebhookEndpointSchema.safeParse({ url, enabled_events: [...longest, 'gadget.created'] }).error?.issues[0],
      ).toMatchObject({
        code: 'too_big',
        path: ['enabled_events'],
        message: `Too big: expected array to have <=${maximum} items`,
      });
    });
  });
});
