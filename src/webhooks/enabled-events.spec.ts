import { EVENT_TYPES } from '../events/event-types';
import { endpointReceives, normalizeEnabledEvents } from './enabled-events';

describe('enabled events', () => {
  it('lets * receive every event type', () => {
    for (const type of EVENT_TYPES) expect(endpointReceives(['*'], type)).toBe(true);
  });

  it('lets a list receive exactly its types', () => {
    const enabled = ['payment.succeeded', 'refund.succeeded'];
    expect(EVENT_TYPES.filter((type) => endpointReceives(enabled, type))).toEqual([
      'payment.succeeded',
      'refund.succeeded',
    ]);
  });

  it('stores * alone, and each type once', () => {
    expect(normalizeEnabledEvents(['payment.failed', '*', 'payment.failed'])).toEqual(['*']);
    expect(normalizeEnabledEvents(['payment.failed', 'payment.succeeded', 'payment.failed'])).toEqual([
      'payment.failed',
      'payment.succeeded',
    ]);
  });
});
