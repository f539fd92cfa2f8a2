import {
  defineEventTypes,
  type EventType,
  EventTypeRegistry,
  eventTypeLengthMax,
  eventTypes,
  isEventType,
  orderingKeyOf,
  topicPatternMatches,
} from './event-types';

/** API.md "Events and webhooks": the built-in types, in its order. */
const apiEventTypes = [
  'payment.processing',
  'payment.requires_capture',
  'payment.succeeded',
  'payment.failed',
  'payment.canceled',
  'refund.succeeded',
] as const;

describe('event type registry', () => {
  it('lists what each feature declares, by object, then in the order the feature declares them', () => {
    const registry = new EventTypeRegistry();
    // Whichever feature's file is imported first: refunds before payments here.
    registry.define(['refund.succeeded']);
    registry.define(['payment.processing', 'payment.requires_capture', 'payment.succeeded']);
    registry.define(['payment.failed', 'payment.canceled']);
    expect(registry.list()).toEqual(apiEventTypes);
    registry.define(['dispute.created', 'payout.paid', 'dispute.closed']);
    expect(registry.list()).toEqual([
      'dispute.created',
      'dispute.closed',
      ...apiEventTypes.slice(0, 5),
      'payout.paid',
      'refund.succeeded',
    ]);
  });

  it('accepts API.md’s types and knows exactly what was declared', () => {
    const registry = new EventTypeRegistry();
    const declared = registry.define(apiEventTypes);
    expect(declared).toEqual(apiEventTypes);
    expect(Object.isFrozen(declared)).toBe(true);
    expect(apiEventTypes.every((type) => registry.has(type))).toBe(true);
    expect(
      ['payment', 'payment.*', 'payment.exploded', '', null, 42, undefined].some((value) => registry.has(value)),
    ).toBe(false);
  });

  it('refuses a type declared twice, by one feature or by two, and then registers nothing of the call', () => {
    const registry = new EventTypeRegistry();
    registry.define(['payment.succeeded']);
    expect(() => registry.define(['payment.failed', 'payment.succeeded'])).toThrow(
      'event type payment.succeeded is declared twice',
    );
    expect(() => registry.define(['widget.created', 'widget.created'])).toThrow(
      'event type widget.created is declared twice',
    );
    expect(registry.list()).toEqual(['payment.succeeded']);
  });

  it.each([
    ['no state', 'payment'],
    ['a wildcard', 'payment.*'],
    ['a multi-word wildcard', 'payment.#'],
    ['a capital', 'Payment.succeeded'],
    ['three parts', 'payment.succeeded.late'],
    ['an empty object', '.succeeded'],
    ['an empty state', 'payment.'],
    ['a leading _', 'payment._succeeded'],
    ['a trailing _', 'payment.succeeded_'],
    ['a doubled _', 'payment.requires__capture'],
    ['a -', 'payment.requires-capture'],
    ['a digit', 'payment2.succeeded'],
    ['a space', 'payment. succeeded'],
    ['too many characters', `${'a'.repeat(eventTypeLengthMax)}.b`],
  ])('refuses a name with %s (%p)', (_case, type) => {
    const registry = new EventTypeRegistry();
    expect(() => registry.define([type as `${string}.${string}`])).toThrow(/malformed event type/);
    expect(registry.list()).toEqual([]);
  });

  it('refuses an empty declaration', () => {
    expect(() => new EventTypeRegistry().define([])).toThrow(/at least one/);
  });

  it('registers through defineEventTypes for isEventType and eventTypes', () => {
    expect(isEventType('spec_widget.created')).toBe(false);
    defineEventTypes(['spec_widget.created', 'spec_widget.deleted']);
    expect(isEventType('spec_widget.created')).toBe(true);
    expect(eventTypes()).toEqual(['spec_widget.created', 'spec_widget.deleted']);
    expect(() => defineEventTypes(['spec_widget.created'])).toThrow(/declared twice/);
  });

  it('types the declared event types statically (typecheck fails on a typo)', () => {
    // src/payments/payment-events.ts declares these (EventTypesByFeature); tsc checks the file as a whole.
    const declared: EventType[] = ['payment.succeeded', 'refund.succeeded'];
    // @ts-expect-error a type no feature declares
    const undeclared: EventType = 'payment.succeded';
    expect([...declared, undeclared]).toHaveLength(3);
  });

  it('order a payment’s events with those of its refunds', () => {
    expect(orderingKeyOf({ id: 'pay_1', object: 'payment' })).toBe('pay_1');
    expect(orderingKeyOf({ id: 're_1', object: 'refund', payment_id: 'pay_1' })).toBe('pay_1');
  });
});

describe('topic patterns', () => {
  it.each([
    ['payment.succeeded', 'payment.succeeded', true],
    ['payment.*', 'payment.requires_capture', true],
    ['*.succeeded', 'refund.succeeded', true],
    ['#', 'payment.failed', true],
    ['payment.#', 'payment.failed', true],
    ['#.failed', 'payment.failed', true],
    ['#.payment.#', 'payment.failed', true],
    ['payment.*', 'refund.succeeded', false],
    ['payment', 'payment.failed', false],
    ['payment.*.*', 'payment.failed', false],
    ['payment.succeeded', 'payment.succeeded_late', false],
    ['paymnet.*', 'payment.failed', false],
  ])('%s matches %s: %p', (pattern, type, expected) => {
    expect(topicPatternMatches(pattern, type)).toBe(expected);
  });
});
