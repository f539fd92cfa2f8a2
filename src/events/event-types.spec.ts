import { EVENT_TYPES, isEventType, orderingKeyOf } from './event-types';

describe('event types', () => {
  it('are the six of API.md', () => {
    expect(EVENT_TYPES).toEqual([
      'payment.processing',
      'payment.requires_capture',
      'payment.succeeded',
      'payment.failed',
      'payment.canceled',
      'refund.succeeded',
    ]);
    expect(EVENT_TYPES.every(isEventType)).toBe(true);
    expect(['payment', 'payment.*', '', null, 42].some(isEventType)).toBe(false);
  });

  it('order a payment’s events with those of its refunds', () => {
    expect(orderingKeyOf({ id: 'pay_1', object: 'payment' })).toBe('pay_1');
    expect(orderingKeyOf({ id: 're_1', object: 'refund', payment_id: 'pay_1' })).toBe('pay_1');
  });
});
