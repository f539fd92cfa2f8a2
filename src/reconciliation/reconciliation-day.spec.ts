import { dayAfter, dayEndedBefore, dayOf, dayRange } from './reconciliation-day';

describe('dayRange', () => {
  it('is the UTC day as [start, end)', () => {
    expect(dayRange('2026-03-10')).toEqual({
      start: new Date('2026-03-10T00:00:00.000Z'),
      end: new Date('2026-03-11T00:00:00.000Z'),
    });
    expect(dayRange('2028-02-29')?.end).toEqual(new Date('2028-03-01T00:00:00.000Z'));
  });

  it.each([
    '2026-02-30',
    '2026-02-29',
    '2026-13-01',
    '2026-00-10',
    '2026-1-05',
    '2026-01-5',
    '20260105',
    '2026-01-05T00:00:00Z',
    ' 2026-01-05',
    '0099-01-01',
    'today',
    '',
  ])('is null for %p, which is no calendar day', (day) => {
    expect(dayRange(day)).toBeNull();
  });
});

describe('dayAfter and dayOf', () => {
  it('step over month, year and leap-day ends', () => {
    expect(dayAfter('2026-01-31', 1)).toBe('2026-02-01');
    expect(dayAfter('2026-01-01', -1)).toBe('2025-12-31');
    expect(dayAfter('2028-02-28', 1)).toBe('2028-02-29');
    expect(dayAfter('2026-03-10', 0)).toBe('2026-03-10');
  });

  it('refuses a day that is not one', () => {
    expect(() => dayAfter('2026-02-30', 1)).toThrow(RangeError);
  });

  it('names the UTC day of an instant, whatever its offset', () => {
    expect(dayOf(new Date('2026-03-10T23:59:59.999Z'))).toBe('2026-03-10');
    expect(dayOf(new Date('2026-03-11T01:30:00+02:00'))).toBe('2026-03-10');
  });
});

describe('dayEndedBefore', () => {
  it('is the day before the one the scheduled run is due in', () => {
    expect(dayEndedBefore(new Date('2026-03-11T00:30:00.000Z'))).toBe('2026-03-10');
    expect(dayEndedBefore(new Date('2026-03-11T00:00:00.000Z'))).toBe('2026-03-10');
    // Picked up late the same day, it still reconciles the day it was due for.
    expect(dayEndedBefore(new Date('2026-03-11T23:59:59.999Z'))).toBe('2026-03-10');
    expect(dayEndedBefore(new Date('2026-01-01T00:30:00.000Z'))).toBe('2025-12-31');
  });
});
