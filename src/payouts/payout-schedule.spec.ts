import { amountMinorMax } from '../common/money/money.limits';
import { type AutomaticSchedule, automaticPayoutAmount, periodOf, scheduleCronPatterns } from './payout-schedule';

describe('payout schedule periods', () => {
  it('names a daily period by its UTC day, from its first to its last millisecond', () => {
    expect(periodOf('daily', new Date('2026-12-01T00:00:00.000Z'))).toBe('daily:2026-12-01');
    expect(periodOf('daily', new Date('2026-12-01T23:59:59.999Z'))).toBe('daily:2026-12-01');
    expect(periodOf('daily', new Date('2026-12-02T00:00:00.000Z'))).toBe('daily:2026-12-02');
  });

  it('reads the day in UTC, whatever the offset the time was written with', () => {
    expect(periodOf('daily', new Date('2026-12-01T23:30:00-02:00'))).toBe('daily:2026-12-02');
  });

  // 2026-11-30 is a Monday.
  it.each([
    ['2026-11-30T00:00:00.000Z', 'weekly:2026-11-30'],
    ['2026-12-02T12:00:00.000Z', 'weekly:2026-11-30'],
    ['2026-12-06T23:59:59.999Z', 'weekly:2026-11-30'],
    ['2026-12-07T00:00:00.000Z', 'weekly:2026-12-07'],
    ['2026-11-29T23:59:59.999Z', 'weekly:2026-11-23'],
    // across a year's end: Monday 2026-12-28 to Sunday 2027-01-03
    ['2027-01-01T08:00:00.000Z', 'weekly:2026-12-28'],
  ])('puts %s in the week that starts on its Monday (%s)', (time, period) => {
    expect(periodOf('weekly', new Date(time))).toBe(period);
  });

  it('refuses a schedule that makes no payouts and a time that is not one', () => {
    expect(() => periodOf('manual' as AutomaticSchedule, new Date())).toThrow(TypeError);
    expect(() => periodOf('daily', new Date(Number.NaN))).toThrow(RangeError);
  });

  it('runs daily at 00:00 UTC and weekly on Mondays at 00:00 UTC', () => {
    expect(scheduleCronPatterns).toEqual({ daily: '0 0 * * *', weekly: '0 0 * * 1' });
  });
});

describe('automatic payout amount', () => {
  it('pays out the whole positive balance', () => {
    expect(automaticPayoutAmount(1)).toBe(1);
    expect(automaticPayoutAmount(12_345)).toBe(12_345);
  });

  it('skips a zero or negative balance', () => {
    expect(automaticPayoutAmount(0)).toBeNull();
    expect(automaticPayoutAmount(-1_500)).toBeNull();
  });

  it('pays at most the largest amount an object carries; the rest waits', () => {
    expect(automaticPayoutAmount(amountMinorMax)).toBe(amountMinorMax);
    expect(automaticPayoutAmount(amountMinorMax + 1)).toBe(amountMinorMax);
  });

  it('refuses what is not a balance', () => {
    expect(() => automaticPayoutAmount(1.5)).toThrow(RangeError);
    expect(() => automaticPayoutAmount(Number.NaN)).toThrow(RangeError);
  });
});
