import { normalizeCurrency } from './currency';
import { amountMinorMax, amountMinorMin } from './money.limits';

export class MoneyError extends Error {
  override readonly name = 'MoneyError';
}

function assertSafeInteger(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new MoneyError(`${what} must be an integer within ±${Number.MAX_SAFE_INTEGER}, got ${String(value)}`);
  }
}

/**
 * An amount of one currency, counted in its minor unit (cents for USD). Immutable and valid by
 * construction: the amount is a safe integer (it may be negative, as a balance or a ledger line can be)
 * and the currency an upper-case ISO 4217 code.
 */
export class Money {
  private constructor(
    readonly amountMinor: number,
    readonly currency: string,
  ) {
    Object.freeze(this);
  }

  static of(amountMinor: number, currency: string): Money {
    assertSafeInteger(amountMinor, 'amount');
    const normalized = normalizeCurrency(currency);
    if (normalized === undefined) {
      throw new MoneyError(`unknown currency: ${JSON.stringify(currency)}`);
    }
    // -0 would print as 0 but is not Object.is-equal to it; keep a single zero.
    return new Money(amountMinor === 0 ? 0 : amountMinor, normalized);
  }

  add(other: Money): Money {
    this.assertSameCurrency(other);
    return Money.checked(this.amountMinor + other.amountMinor, this.currency);
  }

  subtract(other: Money): Money {
    this.assertSameCurrency(other);
    return Money.checked(this.amountMinor - other.amountMinor, this.currency);
  }

  isZero(): boolean {
    return this.amountMinor === 0;
  }

  equals(other: Money): boolean {
    return other instanceof Money && this.currency === other.currency && this.amountMinor === other.amountMinor;
  }

  toJSON(): { amount: number; currency: string } {
    return { amount: this.amountMinor, currency: this.currency };
  }

  // Both operands are safe integers, so an exact result beyond ±2^53 can only round to a value that is
  // itself beyond the safe range: checking the rounded result is enough to catch every overflow.
  private static checked(amountMinor: number, currency: string): Money {
    if (!Number.isSafeInteger(amountMinor)) {
      throw new MoneyError(`amount overflow in ${currency}: the result is beyond ±${Number.MAX_SAFE_INTEGER}`);
    }
    return new Money(amountMinor === 0 ? 0 : amountMinor, currency);
  }

  private assertSameCurrency(other: Money): void {
    if (!(other instanceof Money)) {
      throw new MoneyError('expected a Money value');
    }
    if (other.currency !== this.currency) {
      throw new MoneyError(`currency mismatch: ${this.currency} and ${other.currency}`);
    }
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
