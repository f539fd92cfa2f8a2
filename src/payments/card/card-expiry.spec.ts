import { isCardExpired } from './card-expiry';

const at = (iso: string): Date => new Date(iso);

describe('isCardExpired', () => {
  it.each([
    ['the first moment of the expiry month', 12, 2030, '2030-12-01T00:00:00.000Z', false],
    ['the middle of the expiry month', 12, 2030, '2030-12-15T12:00:00.000Z', false],
    ['the last millisecond of the expiry month', 12, 2030, '2030-12-31T23:59:59.999Z', false],
    ['the first moment after it, across the year end', 12, 2030, '2031-01-01T00:00:00.000Z', true],
    ['a later year', 12, 2030, '2035-06-01T00:00:00.000Z', true],
    ['a month before', 12, 2030, '2030-11-30T23:59:59.999Z', false],
    ['the last day of February in a leap year', 2, 2028, '2028-02-29T23:59:59.999Z', false],
    ['the first of March after a leap February', 2, 2028, '2028-03-01T00:00:00.000Z', true],
    ['the last day of February in a common year', 2, 2027, '2027-02-28T23:59:59.999Z', false],
    ['the first of March after a common February', 2, 2027, '2027-03-01T00:00:00.000Z', true],
    ['the end of January', 1, 2026, '2026-01-31T23:59:59.999Z', false],
    ['the start of February after a January expiry', 1, 2026, '2026-02-01T00:00:00.000Z', true],
    ['a far future expiry', 12, 9999, '2026-01-01T00:00:00.000Z', false],
    ['a past year', 6, 2001, '2026-01-01T00:00:00.000Z', true],
  ])('%s: %i/%i at %s -> %p', (_case, expMonth, expYear, now, expected) => {
    expect(isCardExpired(expMonth, expYear, at(now))).toBe(expected);
  });

  it('uses UTC, not the local time zone', () => {
    // 2031-01-01T00:30 in UTC+1 is still 2030-12-31T23:30Z: the 12/2030 card is valid for 30 more minutes.
    expect(isCardExpired(12, 2030, at('2031-01-01T00:30:00+01:00'))).toBe(false);
    expect(isCardExpired(12, 2030, at('2030-12-31T23:30:00-01:00'))).toBe(true);
  });

  it.each([
    ['month 0', 0, 2030],
    ['month 13', 13, 2030],
    ['a negative month', -1, 2030],
    ['a fractional month', 1.5, 2030],
    ['a NaN month', Number.NaN, 2030],
    ['a string month', '12', 2030],
    ['a two-digit year', 12, 30],
    ['year 999', 12, 999],
    ['a five-digit year', 12, 10_000],
    ['a fractional year', 12, 2030.5],
    ['a string year', 12, '2030'],
  ])('throws for %s', (_case, expMonth, expYear) => {
    expect(() => isCardExpired(expMonth as number, expYear as number, at('2026-01-01T00:00:00Z'))).toThrow(RangeError);
  });

  it('throws for an invalid now', () => {
    expect(() => isCardExpired(12, 2030, new Date('not a date'))).toThrow(RangeError);
    expect(() => isCardExpired(12, 2030, Date.now() as unknown as Date)).toThrow(RangeError);
  });
});
