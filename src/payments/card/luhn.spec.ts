import fc from 'fast-check';
import { cardNumberLengthMax, cardNumberLengthMin, passesLuhn } from './luhn';

// API.md test cards.
const apiTestCards = [
  '4242424242424242',
  '5555555555554444',
  '4000000000000002',
  '4000000000009995',
  '4000000000000119',
  '4000000000000259',
];

/** The check digit that makes `body + digit` pass, computed the long way for comparison. */
function checkDigitFor(body: string): number {
  const doubledFromRight = [...body]
    .reverse()
    .map((character, index) => {
      const digit = Number(character);
      if (index % 2 === 1) {
        return digit;
      }
      const doubled = digit * 2;
      return doubled > 9 ? doubled - 9 : doubled;
    })
    .reduce((sum, digit) => sum + digit, 0);
  return (10 - (doubledFromRight % 10)) % 10;
}

describe('passesLuhn', () => {
  it.each(apiTestCards)('accepts the API.md test card %s', (number) => {
    expect(passesLuhn(number)).toBe(true);
  });

  it.each([
    '378282246310005', // amex, 15 digits
    '36227206271667', // diners, 14 digits
    '6011111111111117', // discover
    '3566002020360505', // jcb
    '6200000000000005', // unionpay
    '2223003122003222', // mastercard 2-series
    '4000000000000000006', // 19 digits
    '000000000000', // 12 zeros: the check digit of zeros is 0
  ])('accepts %s', (number) => {
    expect(passesLuhn(number)).toBe(true);
  });

  it.each([
    ['a wrong check digit', '4242424242424241'],
    ['two swapped adjacent digits', '4242424242424224'],
    ['one changed digit', '4242424242524242'],
    ['11 digits', '42424242428'],
    ['20 digits', '42424242424242424242'],
    ['spaces', '4242 4242 4242 4242'],
    ['dashes', '4242-4242-4242-4242'],
    ['a leading space', ' 4242424242424242'],
    ['a trailing newline', '4242424242424242\n'],
    ['letters', '424242424242424a'],
    ['full-width digits', '４２４２４２４２４２４２４２４２'],
    ['Arabic-Indic digits', '٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢'],
    ['a sign', '+4242424242424242'],
    ['an empty string', ''],
  ])('rejects %s', (_case, number) => {
    expect(passesLuhn(number)).toBe(false);
  });

  it.each([undefined, null, 4242424242424242, ['4242424242424242']])('rejects the non-string %p', (value) => {
    expect(passesLuhn(value as unknown as string)).toBe(false);
  });

  it('accepts exactly one check digit for every body of allowed length', () => {
    fc.assert(
      fc.property(
        fc.string({
          unit: fc.constantFrom(...'0123456789'),
          minLength: cardNumberLengthMin - 1,
          maxLength: cardNumberLengthMax - 1,
        }),
        (body) => {
          const passing = [...'0123456789'].filter((digit) => passesLuhn(body + digit));
          expect(passing).toEqual([String(checkDigitFor(body))]);
        },
      ),
    );
  });

  it('catches every single-digit error', () => {
    fc.assert(
      fc.property(fc.nat({ max: 15 }), fc.integer({ min: 1, max: 9 }), (position, delta) => {
        const number = '4242424242424242';
        const changed = (Number(number[position]) + delta) % 10;
        const mutated = number.slice(0, position) + String(changed) + number.slice(position + 1);
        expect(passesLuhn(mutated)).toBe(false);
      }),
    );
  });
});
