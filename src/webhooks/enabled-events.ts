import { type EventType, eventTypes } from '../events/event-types';

/** `*` in `enabled_events` subscribes an endpoint to every event type, present and future. */
export const allEvents = '*';
export type EnabledEvent = EventType | typeof allEvents;

/** What `enabled_events` may hold: `*` and every registered event type (src/events/event-types.ts), in that order. */
export function enabledEventValues(): readonly EnabledEvent[] {
  return [allEvents, ...eventTypes()];
}

/** The stored form: duplicates removed, and `*` alone when present (it covers everything else). */
export function normalizeEnabledEvents(enabled: readonly EnabledEvent[]): EnabledEvent[] {
  if (enabled.includes(allEvents)) return [allEvents];
  return [...new Set(enabled)];
}

export function endpointReceives(enabled: readonly string[], type: string): boolean {
  return enabled.includes(allEvents) || enabled.includes(type);
}
