export type CardBrand = 'visa' | 'mastercard' | 'amex' | 'discover' | 'jcb' | 'diners' | 'unionpay' | 'unknown';

interface BinRange {
  brand: Exclude<CardBrand, 'unknown'>;
  /** Inclusive bounds of the leading digits, both with the same number of digits. */
  from: string;
  to: string;
}

// Issuer identification number ranges of the networks, most specific first where they overlap.
// Ranges of other networks (Mir 2200-2204, Maestro, RuPay, ...) are 'unknown' on purpose.
const binRanges: readonly BinRange[] = [
  { brand: 'amex', from: '34', to: '34' },
  { brand: 'amex', from: '37', to: '37' },
  { brand: 'diners', from: '300', to: '305' },
  { brand: 'diners', from: '3095', to: '3095' },
  { brand: 'diners', from: '36', to: '36' },
  { brand: 'diners', from: '38', to: '39' },
  { brand: 'jcb', from: '3528', to: '3589' },
  { brand: 'visa', from: '4', to: '4' },
  { brand: 'mastercard', from: '51', to: '55' },
  { brand: 'mastercard', from: '2221', to: '2720' },
  { brand: 'discover', from: '6011', to: '6011' },
  { brand: 'discover', from: '644', to: '649' },
  { brand: 'discover', from: '65', to: '65' },
  { brand: 'unionpay', from: '62', to: '62' },
  { brand: 'unionpay', from: '81', to: '81' },
];

const digitsPattern = /^[0-9]+$/;

/** The card network of a card number (digits only), from its leading digits. */
export function cardBrand(number: string): CardBrand {
  if (typeof number !== 'string' || !digitsPattern.test(number)) {
    return 'unknown';
  }
  for (const { brand, from, to } of binRanges) {
    if (number.length < from.length) {
      continue;
    }
    // Same length, digits only: string order is numeric order.
    const prefix = number.slice(0, from.length);
    if (prefix >= from && prefix <= to) {
      return brand;
    }
  }
  return 'unknown';
}
