// The UTC days a reconciliation is about, and which day the scheduled job reconciles. Pure.

const dayPattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const dayMs = 86_400_000;

/** A UTC calendar day as [start, end). */
export interface DayRange {
  start: Date;
  end: Date;
}

/** The UTC day `day` (YYYY-MM-DD) as [start, end), or null when it is not a calendar day (2026-02-30, 2026-1-5). */
export function dayRange(day: string): DayRange | null {
  const match = dayPattern.exec(day);
  if (!match) return null;
  const start = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  // Date.UTC rolls 2026-02-30 over to March, and years 0–99 over to 1900–1999: a day that does not round-trip is none.
  if (Number.isNaN(start.getTime()) || start.toISOString().slice(0, 10) !== day) return null;
  return { start, end: new Date(start.getTime() + dayMs) };
}

/** The UTC day (YYYY-MM-DD) of an instant. */
export function dayOf(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** The day `offset` days after `day` (before it when negative). `day` must be a calendar day. */
export function dayAfter(day: string, offset: number): string {
  const range = dayRange(day);
  if (!range) throw new RangeError(`not a day: ${JSON.stringify(day)} (YYYY-MM-DD)`);
  return dayOf(new Date(range.start.getTime() + offset * dayMs));
}

/**
 * The day a scheduled run due at `dueAt` reconciles: the UTC day before the one it is due in (the schedule fires
 * shortly after midnight, once the day has ended). A run picked up late still reconciles the day it was due for.
 */
export function dayEndedBefore(dueAt: Date): string {
  return dayOf(new Date(dayRange(dayOf(dueAt))!.start.getTime() - dayMs));
}
