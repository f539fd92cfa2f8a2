// The network's settlement report of a day, from its journal, and the test hook's changes to it. Pure.
import type { SettlementReportLine } from './card-network.port';

const dayPattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The UTC day `day` (YYYY-MM-DD) as [start, end), or null when it is no calendar day. */
export function utcDayRange(day: string): { start: Date; end: Date } | null {
  const match = dayPattern.exec(day);
  if (!match) return null;
  const start = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  // Date.UTC rolls 2026-02-30 over to March: a day that does not round-trip does not exist.
  if (start.toISOString().slice(0, 10) !== day) return null;
  return { start, end: new Date(start.getTime() + 86_400_000) };
}

/** The UTC day (YYYY-MM-DD) of an instant. */
export function utcDayOf(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** A change the test hook makes to a day's report. */
export type ReportAdjustment =
  | { action: 'drop'; reference: string }
  | { action: 'add'; line: SettlementReportLine }
  | { action: 'alter'; reference: string; changes: Partial<SettlementReportLine> };

/**
 * The report with the adjustments applied in order: `drop` removes the line with that network reference, `alter`
 * replaces fields of it (its reference stays the line's), `add` appends a line. An adjustment naming no line of the
 * report changes nothing. Lines keep the journal's order; added lines come last.
 */
export function adjustedReport(
  lines: readonly SettlementReportLine[],
  adjustments: readonly ReportAdjustment[],
): SettlementReportLine[] {
  let result = [...lines];
  for (const adjustment of adjustments) {
    if (adjustment.action === 'drop') {
      result = result.filter((line) => line.network_reference !== adjustment.reference);
    } else if (adjustment.action === 'alter') {
      result = result.map((line) =>
        line.network_reference === adjustment.reference
          ? { ...line, ...adjustment.changes, network_reference: line.network_reference }
          : line,
      );
    } else {
      result.push({ ...adjustment.line });
    }
  }
  return result;
}
