// Date.UTC reads years 0-99 as 1900-1999, so a two-digit year would silently become last century.
const expiryYearMin = 1000;
const expiryYearMax = 9999;

/**
 * A card is valid through the last moment of its expiry month, in UTC: 12/2030 expires at
 * 2031-01-01T00:00:00Z. Throws RangeError for a month outside 1-12 or a year that is not four digits.
 */
export function isCardExpired(expMonth: number, expYear: number, now: Date): boolean {
  if (!Number.isInteger(expMonth) || expMonth < 1 || expMonth > 12) {
    throw new RangeError(`expiry month must be an integer from 1 to 12, got ${String(expMonth)}`);
  }
  if (!Number.isInteger(expYear) || expYear < expiryYearMin || expYear > expiryYearMax) {
    throw new RangeError(`expiry year must be a four-digit integer, got ${String(expYear)}`);
  }
  const nowMs = now instanceof Date ? now.getTime() : Number.NaN;
  if (Number.isNaN(nowMs)) {
    throw new RangeError('now must be a valid Date');
  }
  // Month index expMonth (zero-based) is the month after the expiry month; December rolls into January.
  const firstInvalidMs = Date.UTC(expYear, expMonth, 1);
  return nowMs >= firstInvalidMs;
}
