// ISO/IEC 7812: a card number (PAN) has at most 19 digits; no network issues fewer than 12.
export const cardNumberLengthMin = 12;
export const cardNumberLengthMax = 19;

const cardNumberPattern = /^[0-9]{12,19}$/;

/** True for a string of 12 to 19 ASCII digits whose Luhn (mod 10) check digit is right. No spaces or dashes. */
export function passesLuhn(digits: string): boolean {
  if (typeof digits !== 'string' || !cardNumberPattern.test(digits)) {
    return false;
  }
  let sum = 0;
  // From the right: the check digit as is, then every second digit doubled (minus 9 when above 9).
  for (let index = digits.length - 1, doubled = false; index >= 0; index -= 1, doubled = !doubled) {
    let digit = digits.charCodeAt(index) - 48;
    if (doubled) {
      digit *= 2;
      if (digit > 9) {
        digit -= 9;
      }
    }
    sum += digit;
  }
  return sum % 10 === 0;
}
