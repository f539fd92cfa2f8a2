// Automatic payouts (API.md "Settlement and payouts"): a merchant on a schedule is paid out the whole available
// balance of each positive currency, once per period of its schedule. Pure: the time is passed in.
import { PAYOUT_SCHEDULES } from '../database/enum-values';
import { amountMinorMax } from '../common/money/money.limits';

export { PAYOUT_SCHEDULES };
export type PayoutSchedule = (typeof PAYOUT_SCHEDULES)[number];
/** The schedules that make payouts (`manual` makes none). */
export type AutomaticSchedule = Exclude<PayoutSchedule, 'manual'>;

export const AUTOMATIC_SCHEDULES: readonly AutomaticSchedule[] = ['daily', 'weekly'];

/** When each schedule runs, as cron patterns read in UTC: every day at 00:00, every Monday at 00:00. */
export const scheduleCronPatterns: Readonly<Record<AutomaticSchedule, string>> = Object.freeze({
  daily: '0 0 * * *',
  weekly: '0 0 * * 1',
});

const dayMs = 86_400_000;

function utcDate(timeMs: number): string {
  return new Date(timeMs).toISOString().slice(0, 10);
}

/**
 * The period of `schedule` that `now` falls in, named by the UTC date it starts on: `daily:2026-12-01` (that day),
 * `weekly:2026-11-30` (the Monday of that week). A period's payout is due once it has started, and made once: a late
 * or repeated run in the same period finds it made.
 */
export function periodOf(schedule: AutomaticSchedule, now: Date): string {
  const timeMs = now.getTime();
  if (!Number.isFinite(timeMs)) throw new RangeError('periodOf needs a valid time');
  const dayStartMs = Math.floor(timeMs / dayMs) * dayMs;
  switch (schedule) {
    case 'daily':
      return `daily:${utcDate(dayStartMs)}`;
    case 'weekly': {
      // getUTCDay: 0 is Sunday; days since the last Monday are (day + 6) % 7.
      const daysSinceMonday = (new Date(dayStartMs).getUTCDay() + 6) % 7;
      return `weekly:${utcDate(dayStartMs - daysSinceMonday * dayMs)}`;
    }
    default:
      throw new TypeError(`not an automatic payout schedule: ${String(schedule)}`);
  }
}

/**
 * What an automatic payout takes of an available balance (in minor units, as the merchant sees it): all of it, or
 * nothing (null) when it is zero or negative (money owed after a dispute or refunds). A balance above the largest
 * amount an object may carry is paid out in that much; the rest waits for the next period.
 */
export function automaticPayoutAmount(availableMinor: number): number | null {
  if (!Number.isSafeInteger(availableMinor)) throw new RangeError(`not a balance: ${String(availableMinor)}`);
  if (availableMinor <= 0) return null;
  return Math.min(availableMinor, amountMinorMax);
}
