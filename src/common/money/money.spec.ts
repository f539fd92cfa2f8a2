import fc from 'fast-check';
import { Money, MoneyError, amountFromSql, amountToSql, isValidAmountMinor } from './money';
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

describe('Money.of', () => {
  it('normalizes the currency and keeps the amount', () => {
    const money = Money.of(1099, 'usd');
    expect(money.amountMinor).toBe(1099);
    expect(money.currency).toBe('USD');
  });

  it.each([0, -1, 1, -maxSafe, maxSafe, amountMinorMax])('accepts the safe integer %p', (amountMinor) => {
    expect(Money.of(amountMinor, 'EUR').amountMinor).toBe(amountMinor);
  });

  it('turns -0 into 0', () => {
    expect(Object.is(Money.of(-0, 'USD').amountMinor, 0)).toBe(true);
  });

  it.each([
    ['2^53', twoTo53],
    ['-2^53', -twoTo53],
    ['a float', 10.5],
    ['a tiny float', 0.1],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a numeric string', '100'],
    ['a bigint', 100n],
    ['null', null],
    ['undefined', undefined],
  ])('rejects %s as the amount', (_case, amountMinor) => {
    expect(() => Money.of(amountMinor as number, 'USD')).toThrow(MoneyError);
  });

  it.each(['ABC', '', 'XAU', 'usd1', 'XXX'])('rejects the currency %j', (currency) => {
    expect(() => Money.of(1, currency)).toThrow(/unknown currency/);
  });

  it('is immutable', () => {
    const money = Money.of(5, 'USD');
    expect(Object.isFrozen(money)).toBe(true);
    expect(() => {
      (money as { amountMinor: number }).amountMinor = 6;
    }).toThrow(TypeError);
  });
});

describe('Money arithmetic', () => {
  it('adds and subtracts within one currency', () => {
    const sum = Money.of(1000, 'usd').add(Money.of(99, 'USD'));
    expect(sum.toJSON()).toEqual({ amount: 1099, currency: 'USD' });
    expect(sum.subtract(Money.of(1100, 'USD')).toJSON()).toEqual({ amount: -1, currency: 'USD' });
  });

  it('does not change its operands', () => {
    const left = Money.of(3, 'JPY');
    const right = Money.of(4, 'JPY');
    left.add(right);
    left.subtract(right);
    expect(left.amountMinor).toBe(3);
    expect(right.amountMinor).toBe(4);
  });

  it('gives a positive zero when the result is zero', () => {
    expect(Object.is(Money.of(-5, 'USD').add(Money.of(5, 'USD')).amountMinor, 0)).toBe(true);
    expect(Object.is(Money.of(0, 'USD').subtract(Money.of(0, 'USD')).amountMinor, 0)).toBe(true);
  });

  it('refuses to mix currencies', () => {
    expect(() => Money.of(1, 'USD').add(Money.of(1, 'EUR'))).toThrow(/currency mismatch: USD and EUR/);
    expect(() => Money.of(1, 'USD').subtract(Money.of(1, 'EUR'))).toThrow(MoneyError);
  });

  it('refuses a plain object that looks like Money', () => {
    const fake = { amountMinor: 1, currency: 'USD' } as unknown as Money;
    expect(() => Money.of(1, 'USD').add(fake)).toThrow(MoneyError);
    expect(Money.of(1, 'USD').equals(fake)).toBe(false);
  });

  it('reaches exactly MAX_SAFE_INTEGER and no further', () => {
    expect(Money.of(maxSafe - 1, 'USD').add(Money.of(1, 'USD')).amountMinor).toBe(maxSafe);
    expect(() => Money.of(maxSafe, 'USD').add(Money.of(1, 'USD'))).toThrow(/overflow/);
    expect(() => Money.of(maxSafe, 'USD').add(Money.of(maxSafe, 'USD'))).toThrow(/overflow/);
    expect(Money.of(-maxSafe + 1, 'USD').subtract(Money.of(1, 'USD')).amountMinor).toBe(-maxSafe);
    expect(() => Money.of(-maxSafe, 'USD').subtract(Money.of(1, 'USD'))).toThrow(/overflow/);
    expect(() => Money.of(-maxSafe, 'USD').subtract(Money.of(maxSafe, 'USD'))).toThrow(/overflow/);
    expect(() => Money.of(maxSafe, 'USD').subtract(Money.of(-1, 'USD'))).toThrow(/overflow/);
  });

  it('agrees with exact bigint arithmetic for any safe operands', () => {
    const safeInteger = fc.integer({ min: -maxSafe, max: maxSafe });
    fc.assert(
      fc.property(safeInteger, safeInteger, (left, right) => {
        for (const [operation, exact] of [
          ['add', BigInt(left) + BigInt(right)],
          ['subtract', BigInt(left) - BigInt(right)],
        ] as const) {
          const run = (): Money => Money.of(left, 'USD')[operation](Money.of(right, 'USD'));
          if (exact > BigInt(maxSafe) || exact < -BigInt(maxSafe)) {
            expect(run).toThrow(/overflow/);
          } else {
            expect(BigInt(run().amountMinor)).toBe(exact);
          }
        }
      }),
    );
  });
});

describe('Money comparison and JSON', () => {
  it('isZero only for zero', () => {
    expect(Money.of(0, 'USD').isZero()).toBe(true);
    expect(Money.of(-0, 'USD').isZero()).toBe(true);
    expect(Money.of(1, 'USD').isZero()).toBe(false);
    expect(Money.of(-1, 'USD').isZero()).toBe(false);
  });

  it('equals compares amount and currency', () => {
    expect(Money.of(5, 'usd').equals(Money.of(5, 'USD'))).toBe(true);
    expect(Money.of(5, 'USD').equals(Money.of(6, 'USD'))).toBe(false);
    expect(Money.of(5, 'USD').equals(Money.of(5, 'EUR'))).toBe(false);
    expect(Money.of(0, 'USD').equals(Money.of(-0, 'USD'))).toBe(true);
  });

  it('serializes as the API shape', () => {
    expect(JSON.stringify({ balance: Money.of(500, 'jpy') })).toBe('{"balance":{"amount":500,"currency":"JPY"}}');
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
