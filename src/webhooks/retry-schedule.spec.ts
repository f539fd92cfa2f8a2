import fc from 'fast-check';
import { type RetryBackoff, webhookRetryDelayCeilingMs, webhookRetryDelayMs } from './retry-schedule';

const backoff: RetryBackoff = { baseDelayMs: 60_000, maxDelayMs: 6 * 60 * 60_000 };
const lowest = (): number => 0;
const highest = (): number => 1 - Number.EPSILON / 2; // the largest double below 1
const middle = (): number => 0.5;

describe('webhookRetryDelayCeilingMs', () => {
  it.each([
    [1, 60_000],
    [2, 120_000],
    [3, 240_000],
    [4, 480_000],
    [5, 960_000],
    [6, 1_920_000],
    [7, 3_840_000],
    [8, 7_680_000],
    [9, 15_360_000],
    [10, 21_600_000], // 30 720 000 capped at 6 h
    [50, 21_600_000],
    [2000, 21_600_000],
    [Number.MAX_SAFE_INTEGER, 21_600_000],
  ])('after %i attempts is %i ms', (attemptsMade, expected) => {
    expect(webhookRetryDelayCeilingMs(attemptsMade, backoff)).toBe(expected);
  });

  it('never decreases and never exceeds the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 1_000_000_000 }),
        fc.integer({ min: 1, max: 2000 }),
        (baseDelayMs, extraMs, attemptsMade) => {
          const schedule = { baseDelayMs, maxDelayMs: baseDelayMs + extraMs };
          const current = webhookRetryDelayCeilingMs(attemptsMade, schedule);
          const next = webhookRetryDelayCeilingMs(attemptsMade + 1, schedule);
          expect(next).toBeGreaterThanOrEqual(current);
          expect(next).toBeLessThanOrEqual(schedule.maxDelayMs);
          expect(Number.isFinite(next)).toBe(true);
        },
      ),
    );
  });

  it('stays zero for a zero base, even after many attempts', () => {
    expect(webhookRetryDelayCeilingMs(5000, { baseDelayMs: 0, maxDelayMs: 1000 })).toBe(0);
  });
});

describe('webhookRetryDelayMs', () => {
  it('ranges from half the ceiling (random 0) to the ceiling (random near 1)', () => {
    for (let attemptsMade = 1; attemptsMade <= 12; attemptsMade += 1) {
      const ceilingMs = webhookRetryDelayCeilingMs(attemptsMade, backoff);
      expect(webhookRetryDelayMs(attemptsMade, backoff, lowest)).toBe(ceilingMs / 2);
      expect(webhookRetryDelayMs(attemptsMade, backoff, middle)).toBe((ceilingMs * 3) / 4);
      // Within a millisecond of the ceiling: the product rounds, so it may reach the ceiling itself.
      expect(webhookRetryDelayMs(attemptsMade, backoff, highest)).toBeGreaterThanOrEqual(ceilingMs - 1);
      expect(webhookRetryDelayMs(attemptsMade, backoff, highest)).toBeLessThanOrEqual(ceilingMs);
    }
  });

  it('grows: the shortest delay of an attempt is at least the longest delay two attempts before', () => {
    for (let attemptsMade = 1; attemptsMade <= 8; attemptsMade += 1) {
      expect(webhookRetryDelayMs(attemptsMade + 2, backoff, lowest)).toBeGreaterThanOrEqual(
        webhookRetryDelayMs(attemptsMade, backoff, highest),
      );
    }
  });

  it('is an integer in [ceiling / 2, ceiling] for any random value', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attemptsMade, draw) => {
          const ceilingMs = webhookRetryDelayCeilingMs(attemptsMade, backoff);
          const delayMs = webhookRetryDelayMs(attemptsMade, backoff, () => draw);
          expect(Number.isInteger(delayMs)).toBe(true);
          expect(delayMs).toBeGreaterThanOrEqual(Math.floor(ceilingMs / 2));
          expect(delayMs).toBeLessThanOrEqual(ceilingMs);
        },
      ),
    );
  });

  it('spreads deliveries that failed together', () => {
    const delays = Array.from({ length: 1000 }, () => webhookRetryDelayMs(3, backoff));
    const distinct = new Set(delays);
    expect(distinct.size).toBeGreaterThan(900);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(120_000);
    expect(Math.max(...delays)).toBeLessThan(240_000);
  });

  it('handles an odd ceiling', () => {
    expect(webhookRetryDelayMs(1, { baseDelayMs: 3, maxDelayMs: 3 }, lowest)).toBe(1);
    expect(webhookRetryDelayMs(1, { baseDelayMs: 3, maxDelayMs: 3 }, middle)).toBe(2);
    expect(webhookRetryDelayMs(1, { baseDelayMs: 3, maxDelayMs: 3 }, highest)).toBeLessThanOrEqual(3);
  });

  it('reaches a schedule of about a day in 8 tries with a 10-minute base and a 6-hour cap', () => {
    const daySchedule = { baseDelayMs: 10 * 60_000, maxDelayMs: 6 * 60 * 60_000 };
    // 7 waits between 8 tries.
    const waits = [1, 2, 3, 4, 5, 6, 7].map((attemptsMade) => webhookRetryDelayCeilingMs(attemptsMade, daySchedule));
    const totalHours = waits.reduce((sum, ms) => sum + ms, 0) / 3_600_000;
    expect(totalHours).toBeGreaterThan(16);
    expect(totalHours).toBeLessThan(24);
  });

  it.each([
    ['zero attempts', 0, backoff],
    ['negative attempts', -1, backoff],
    ['fractional attempts', 1.5, backoff],
    ['NaN attempts', Number.NaN, backoff],
    ['a negative base', 1, { baseDelayMs: -1, maxDelayMs: 1000 }],
    ['a fractional base', 1, { baseDelayMs: 0.5, maxDelayMs: 1000 }],
    ['a cap below the base', 1, { baseDelayMs: 1000, maxDelayMs: 999 }],
    ['an infinite cap', 1, { baseDelayMs: 1000, maxDelayMs: Number.POSITIVE_INFINITY }],
  ])('throws for %s', (_case, attemptsMade, schedule) => {
    expect(() => webhookRetryDelayMs(attemptsMade, schedule, middle)).toThrow(RangeError);
  });

  it.each([1, 1.5, -0.1, Number.NaN, Number.POSITIVE_INFINITY])('throws when random returns %p', (draw) => {
    expect(() => webhookRetryDelayMs(1, backoff, () => draw)).toThrow(RangeError);
  });
});
