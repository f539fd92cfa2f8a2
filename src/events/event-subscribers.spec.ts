import { assertPatternsMatchEventTypes } from './event-subscribers';
import { defineEventTypes } from './event-types';

defineEventTypes(['subscriber_probe.created', 'subscriber_probe.deleted']);

describe('event subscriptions', () => {
  it('may bind any pattern that matches a registered event type', () => {
    const patterns = ['#', 'subscriber_probe.*', '*.deleted', 'subscriber_probe.created'];
    expect(() => assertPatternsMatchEventTypes([{ queue: 'probe', patterns }])).not.toThrow();
  });

  it('refuse a pattern that matches none, a typo or a type nobody registered', () => {
    for (const pattern of ['subscriber_prob.*', 'subscriber_probe.exploded', 'subscriber_probe']) {
      expect(() => assertPatternsMatchEventTypes([{ queue: 'probe', patterns: ['#', pattern] }])).toThrow(
        `the subscription probe binds ${pattern}, which matches no registered event type`,
      );
    }
  });
});
