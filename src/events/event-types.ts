import { z } from 'zod';
import { apiComponent } from '../openapi/api-components';

/**
 * Event types: each feature declares its own, in its own folder, in one file that does two things (see
 * src/payments/payment-events.ts):
 *
 *   export const widgetEventTypes = defineEventTypes(['widget.created', 'widget.deleted']);
 *   declare module '../events/event-types' {
 *     interface EventTypesByFeature {
 *       widgets: typeof widgetEventTypes;
 *     }
 *   }
 *
 * The call registers the types at run time, for everything that validates a type (webhook endpoints'
 * `enabled_events`, the `type` filter of GET /v1/events); the declaration, the same list as a type, adds them to
 * `EventType`, so `events.record(tx, merchantId, 'widget.created', widget)` is type-checked. The service that
 * records them imports the file, which registers them before the application serves anything (EventsService
 * refuses to record a type that is not registered). Each type is also the RabbitMQ routing key of its messages.
 */
// Declaration merging: each feature's file adds a member, its name and its list of types.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EventTypesByFeature {}

type TypesOf<List> = List extends readonly (infer Type extends string)[] ? Type : never;

/** Every event type a feature declares. */
export type EventType = TypesOf<EventTypesByFeature[keyof EventTypesByFeature]>;

/** API.md's `<object>.<state>`: lower-case words joined by `_`, e.g. `payment.requires_capture`. */
export const eventTypeFormat = /^[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*$/;
// A routing key may be 255 bytes; the types are read by people in lists, logs and dashboards.
export const eventTypeLengthMax = 64;

type EventTypeName = `${string}.${string}`;

/**
 * The event types declared so far. Listed by object, then in the order their feature declares them: stable
 * whichever feature's file is imported first (API.md's order for the built-in types: `payment.*`, then `refund.*`).
 */
export class EventTypeRegistry {
  private readonly declared: { type: string; object: string; position: number }[] = [];
  private readonly names = new Set<string>();
  private ordered: readonly string[] = [];

  /** Registers a feature's types; refuses a malformed name or a type declared before (by any feature). */
  define<const T extends readonly EventTypeName[]>(types: T): T {
    if (types.length === 0) throw new Error('defineEventTypes needs at least one event type');
    const seen = new Set<string>();
    for (const type of types) {
      if (type.length > eventTypeLengthMax || !eventTypeFormat.test(type)) {
        throw new Error(
          `malformed event type ${JSON.stringify(type)}: expected <object>.<state> in lower-case words joined by _ ` +
            `(at most ${eventTypeLengthMax} characters), e.g. payment.requires_capture`,
        );
      }
      if (this.names.has(type) || seen.has(type)) throw new Error(`event type ${type} is declared twice`);
      seen.add(type);
    }
    for (const type of types) {
      this.names.add(type);
      this.declared.push({ type, object: type.slice(0, type.indexOf('.')), position: this.declared.length });
    }
    this.ordered = this.declared
      .toSorted((a, b) => (a.object === b.object ? a.position - b.position : a.object < b.object ? -1 : 1))
      .map((entry) => entry.type);
    return Object.freeze([...types]) as unknown as T;
  }

  has(value: unknown): boolean {
    return typeof value === 'string' && this.names.has(value);
  }

  list(): readonly string[] {
    return this.ordered;
  }
}

const registry = new EventTypeRegistry();

/** Declares a feature's event types (in its own folder, beside its `EventTypesByFeature` member). */
export function defineEventTypes<const T extends readonly EventTypeName[]>(types: T): T {
  return registry.define(types);
}

/** Every event type registered so far, in a stable order (see EventTypeRegistry). */
export function eventTypes(): readonly EventType[] {
  return registry.list() as readonly EventType[];
}

export function isEventType(value: unknown): value is EventType {
  return registry.has(value);
}

/**
 * Whether a RabbitMQ topic pattern (a subscriber's binding: `payment.*`, `#`) matches an event type, the routing
 * key: `*` stands for exactly one word, `#` for zero or more.
 */
export function topicPatternMatches(pattern: string, type: string): boolean {
  const matches = (patternWords: readonly string[], typeWords: readonly string[]): boolean => {
    const [word, ...restOfPattern] = patternWords;
    if (word === undefined) return typeWords.length === 0;
    if (word === '#') {
      for (let skipped = 0; skipped <= typeWords.length; skipped += 1) {
        if (matches(restOfPattern, typeWords.slice(skipped))) return true;
      }
      return false;
    }
    const [typeWord, ...restOfType] = typeWords;
    return typeWord !== undefined && (word === '*' || word === typeWord) && matches(restOfPattern, restOfType);
  };
  return matches(pattern.split('.'), type.split('.'));
}

/**
 * API.md's event object. `data.object` is the snapshot of the object (a payment, a refund, or a feature's own) taken
 * when the event happened, in the shape its presenter had then: it is not held to today's schema of that object,
 * since stored events keep the fields of their time.
 */
export const eventSchema = apiComponent(
  'Event',
  z.strictObject({
    id: z.string().meta({ description: 'evt_…' }),
    object: z.literal('event'),
    type: z.custom<EventType>().meta({
      type: 'string',
      pattern: eventTypeFormat.source,
      description: 'The event type, e.g. `payment.succeeded`.',
    }),
    created_at: z.string().meta({ description: 'ISO 8601 UTC.' }),
    data: z.strictObject({
      object: z
        .object({
          id: z.string(),
          object: z.string().optional().meta({ description: '`payment`, `refund`, …' }),
        })
        .catchall(z.unknown())
        .meta({ description: 'The payment or refund (or a feature’s object) as it was when the event happened.' }),
    }),
  }),
);
export type EventObject = z.output<typeof eventSchema>;

/**
 * The key whose events are published in order: a payment's id for its own events and for those of its refunds,
 * so a subscriber never sees a payment's later state before an earlier one.
 */
export function orderingKeyOf(object: Record<string, unknown> & { id: string }): string {
  return typeof object.payment_id === 'string' ? object.payment_id : object.id;
}
