import { amountMinorMax, amountMinorMin } from './money.limits';

export class MoneyError extends Error {
  override readonly name = 'MoneyError';
}

function assertSafeInteger(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new MoneyError(`${what} must be an integer within ±${Number.MAX_SAFE_INTEGER}, got ${String(value)}`);
  }
}

/** An amount a client may send: an integer number (never a string or a float) in amountMinorMin..amountMinorMax. */
export function isValidAmountMinor(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= amountMinorMin && value <= amountMinorMax;
}

// The text PostgreSQL prints for bigint (and for numeric sums of bigints): an optional minus, no plus, no
// leading zeros, no spaces, no exponent, no decimal point. Anything else means the column or the query is
// not what this code believes, which is better found out loudly than rounded.
const sqlIntegerPattern = /^-?(0|[1-9][0-9]*)$/;
const maxSafeBigInt = BigInt(Number.MAX_SAFE_INTEGER);

/** An amount read from PostgreSQL (node-postgres returns bigint and numeric as text). */
export function amountFromSql(value: string | number | bigint): number {
  if (typeof value === 'number') {
    assertSafeInteger(value, 'amount from SQL');
    return value === 0 ? 0 : value;
  }
  let asBigInt: bigint;
  if (typeof value === 'bigint') {
    asBigInt = value;
  } else if (typeof value === 'string' && sqlIntegerPattern.test(value) && value !== '-0') {
    asBigInt = BigInt(value);
  } else {
    throw new MoneyError(`amount from SQL is not an integer: ${JSON.stringify(String(value))}`);
  }
  if (asBigInt > maxSafeBigInt || asBigInt < -maxSafeBigInt) {
    throw new MoneyError(`amount from SQL is beyond ±${Number.MAX_SAFE_INTEGER}: ${asBigInt}`);
  }
  return Number(asBigInt);
}

/** An amount as a parameter for a bigint column; passed as text so that no driver ever formats it as a float. */
export function amountToSql(amountMinor: number): string {
  assertSafeInteger(amountMinor, 'amount to SQL');
  return amountMinor === 0 ? '0' : String(amountMinor);
}
