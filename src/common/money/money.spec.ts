import fc from 'fast-check';
import { MoneyError, amountFromSql, amountToSql, isValidAmountMinor } from './money';
import { amountMinorMax, amountMinorMin } from './money.limits';

const maxSafe = Number.MAX_SAFE_INTEGER;
const twoTo53 = 2 ** 53;

describe('money limits', () => {
  it('match API.md and are exact as JS numbers', () => {
    expect(amountMinorMin).toBe(1);
    expect(amountMinorMax).toBe(99_999_999_999);
    expect(Number.isSafeInteger(amountMinorMax)).toBe(true);
    expect(amountMinorMax * 90_000).toBeLessThan(twoTo53);
  });
});

describe('isValidAmountMinor', () => {
  it.each([amountMinorMin, 2, 1099, amountMinorMax - 1, amountMinorMax])('accepts %p', (value) => {
    expect(isValidAmountMinor(value)).toBe(true);
  });

  it.each([
    ['zero', 0],
    ['minus zero', -0],
    ['a negative number', -1],
    ['one above the maximum', amountMinorMax + 1],
    ['MAX_SAFE_INTEGER', maxSafe],
    ['2^53', twoTo53],
    ['a float', 10.99],
    ['a float just above 1', 1.0000001],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a numeric string', '1099'],
    ['an exponent string', '1e3'],
    ['a bigint', 1099n],
    ['a Number object', new Number(1099)],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['an array', [1099]],
  ])('rejects %s', (_case, value) => {
    expect(isValidAmountMinor(value)).toBe(false);
  });

  it('accepts 1e3 written as a number literal, since it is the integer 1000', () => {
    expect(isValidAmountMinor(1e3)).toBe(true);
  });
});

describe('amountFromSql', () => {
  it.each([
    ['0', 0],
    ['1', 1],
    ['-1', -1],
    ['1099', 1099],
    ['99999999999', amountMinorMax],
    ['9007199254740991', maxSafe],
    ['-9007199254740991', -maxSafe],
  ])('reads the text %j', (text, expected) => {
    expect(amountFromSql(text)).toBe(expected);
  });

  it.each([
    ['2^53', '9007199254740992'],
    ['2^53 + 1, which a float would round silently', '9007199254740993'],
    ['-2^53', '-9007199254740992'],
    ['a huge value', '123456789012345678901234567890'],
    ['an exponent', '1e3'],
    ['a leading space', ' 12'],
    ['a trailing space', '12 '],
    ['a trailing newline', '12\n'],
    ['minus zero, which PostgreSQL never prints', '-0'],
    ['a plus sign', '+12'],
    ['a leading zero', '012'],
    ['a decimal point', '12.0'],
    ['a numeric with scale', '12.50'],
    ['hexadecimal', '0x10'],
    ['binary', '0b11'],
    ['an underscore separator', '1_000'],
    ['empty text', ''],
    ['a lone minus', '-'],
    ['text', 'abc'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['full-width digits', '１２'],
  ])('rejects %s', (_case, text) => {
    expect(() => amountFromSql(text)).toThrow(MoneyError);
  });

  it('accepts safe integer numbers and bigints', () => {
    expect(amountFromSql(42)).toBe(42);
    expect(amountFromSql(-42)).toBe(-42);
    expect(amountFromSql(maxSafe)).toBe(maxSafe);
    expect(amountFromSql(42n)).toBe(42);
    expect(amountFromSql(BigInt(maxSafe))).toBe(maxSafe);
    expect(amountFromSql(-BigInt(maxSafe))).toBe(-maxSafe);
    expect(Object.is(amountFromSql(-0), 0)).toBe(true);
  });

  it.each([
    ['a float', 1.5],
    ['2^53', twoTo53],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a bigint of 2^53', BigInt(twoTo53)],
    ['a bigint of -2^53', -BigInt(twoTo53)],
    ['null', null],
    ['undefined', undefined],
    ['an object', {}],
  ])('rejects %s', (_case, value) => {
    expect(() => amountFromSql(value as number)).toThrow(MoneyError);
  });
});

describe('amountToSql', () => {
  it.each([
    [0, '0'],
    [-0, '0'],
    [1, '1'],
    [-1099, '-1099'],
    [amountMinorMax, '99999999999'],
    [maxSafe, '9007199254740991'],
    [-maxSafe, '-9007199254740991'],
  ])('writes %p as %j', (amountMinor, expected) => {
    expect(amountToSql(amountMinor)).toBe(expected);
  });

  it('never writes an exponent, even for large amounts', () => {
    expect(amountToSql(1e15)).toBe('1000000000000000');
  });

  it.each([twoTo53, -twoTo53, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '12', 12n, null])('rejects %p', (value) => {
    expect(() => amountToSql(value as number)).toThrow(MoneyError);
  });

  it('round-trips with amountFromSql for every safe integer', () => {
    fc.assert(
      fc.property(fc.integer({ min: -maxSafe, max: maxSafe }), (amountMinor) => {
        expect(amountFromSql(amountToSql(amountMinor))).toBe(amountMinor === 0 ? 0 : amountMinor);
      }),
    );
  });
});
