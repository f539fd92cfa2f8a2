import { EVENT_TYPES, type EventType } from '../events/event-types';

/** `*` in `enabled_events` subscribes an endpoint to every event type, present and future. */
export const allEvents = '*';
export type EnabledEvent = EventType | typeof allEvents;

export const ENABLED_EVENT_VALUES = [allEvents, ...EVENT_TYPES] as const;

/** The stored form: duplicates removed, and `*` alone when present (it covers everything else). */
export function normalizeEnabledEvents(enabled: readonly EnabledEvent[]): EnabledEvent[] {
  if (enabled.includes(allEvents)) return [allEvents];
  return [...new Set(enabled)];
}

export function endpointReceives(enabled: readonly string[], type: string): boolean {
  return enabled.includes(allEvents) || enabled.includes(type);
}
