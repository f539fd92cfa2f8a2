import { data as iso4217 } from 'currency-codes';

// ISO 4217 also lists codes that are not money a card can be charged in. The X codes below are precious
// metals, bond-market units, IMF and regional units of account, the testing code and "no currency"; the
// real currencies that start with X (XAF, XOF, XPF, XCD, ...) stay. The fund codes (ISO marks them
// IsFund, plus the Uruguayan wage index unit UYW) are accounting units of a national currency, not a
// currency of their own, so no card network settles in them either.
const notChargeableCodes: ReadonlySet<string> = new Set([
  'XAU',
  'XAG',
  'XPT',
  'XPD',
  'XBA',
  'XBB',
  'XBC',
  'XBD',
  'XDR',
  'XSU',
  'XUA',
  'XTS',
  'XXX',
  'BOV',
  'CHE',
  'CHW',
  'CLF',
  'COU',
  'MXV',
  'USN',
  'UYI',
  'UYW',
]);

const exponentByCode: ReadonlyMap<string, number> = new Map(
  iso4217.filter((record) => !notChargeableCodes.has(record.code)).map((record) => [record.code, record.digits]),
);

// Checked before upper-casing: `toUpperCase` maps some non-ASCII letters onto ASCII ones ('ſ' becomes 'S').
const codePattern = /^[A-Za-z]{3}$/;

/** The upper-case ISO 4217 code of a currency a card can be charged in, or undefined. Case-insensitive. */
export function normalizeCurrency(input: string): string | undefined {
  if (typeof input !== 'string' || !codePattern.test(input)) {
    return undefined;
  }
  const code = input.toUpperCase();
  return exponentByCode.has(code) ? code : undefined;
}

/** How many decimal places the minor unit has: 2 for USD (cents), 0 for JPY, 3 for KWD. */
export function currencyExponent(code: string): number {
  const normalized = normalizeCurrency(code);
  const exponent = normalized === undefined ? undefined : exponentByCode.get(normalized);
  if (exponent === undefined) {
    throw new RangeError(`unknown currency: ${JSON.stringify(code)}`);
  }
  return exponent;
}

/** Every supported code, upper case, sorted; for documentation and validation messages. */
export function supportedCurrencies(): string[] {
  return [...exponentByCode.keys()].sort();
}
