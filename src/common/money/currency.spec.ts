import { currencyExponent, normalizeCurrency, supportedCurrencies } from './currency';

describe('normalizeCurrency', () => {
  it.each([
    ['usd', 'USD'],
    ['USD', 'USD'],
    ['Usd', 'USD'],
    ['eur', 'EUR'],
    ['gbp', 'GBP'],
    ['jpy', 'JPY'],
    ['krw', 'KRW'],
    ['bhd', 'BHD'],
    ['kwd', 'KWD'],
    ['chf', 'CHF'],
    ['xaf', 'XAF'],
    ['xof', 'XOF'],
    ['xpf', 'XPF'],
    ['xcd', 'XCD'],
  ])('accepts %s as %s', (input, expected) => {
    expect(normalizeCurrency(input)).toBe(expected);
  });

  it.each([
    ['ABC', 'not assigned'],
    ['usd1', 'too long'],
    ['us', 'too short'],
    ['', 'empty'],
    [' usd', 'a leading space'],
    ['usd ', 'a trailing space'],
    ['usd\n', 'a trailing newline'],
    ['u$d', 'a symbol'],
    ['uſd', "a non-ASCII letter that upper-cases to 'S'"],
    ['ＵＳＤ', 'full-width letters'],
    ['840', 'the numeric code'],
    ['XAU', 'gold'],
    ['XAG', 'silver'],
    ['XPT', 'platinum'],
    ['XPD', 'palladium'],
    ['XBA', 'a bond-market unit'],
    ['XBB', 'a bond-market unit'],
    ['XBC', 'a bond-market unit'],
    ['XBD', 'a bond-market unit'],
    ['XDR', 'the IMF special drawing right'],
    ['XSU', 'the Sucre unit of account'],
    ['XUA', 'the ADB unit of account'],
    ['XTS', 'the testing code'],
    ['XXX', 'no currency'],
    ['xau', 'gold in lower case'],
    ['CLF', 'a fund code'],
    ['USN', 'a fund code'],
    ['UYW', 'an index unit'],
    ['HRK', 'a withdrawn currency'],
  ])('rejects %j (%s)', (input) => {
    expect(normalizeCurrency(input)).toBeUndefined();
  });

  it.each([undefined, null, 840, { code: 'USD' }, ['USD']])('rejects a non-string (%p) at run time', (input) => {
    expect(normalizeCurrency(input as unknown as string)).toBeUndefined();
  });
});

describe('currencyExponent', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['GBP', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['BHD', 3],
    ['KWD', 3],
    ['XOF', 0],
    ['XCD', 2],
    ['usd', 2],
    ['jpy', 0],
  ])('%s has exponent %i', (code, exponent) => {
    expect(currencyExponent(code)).toBe(exponent);
  });

  it.each(['ABC', 'usd1', '', 'XAU', 'XXX', 'XTS'])('throws for %j', (code) => {
    expect(() => currencyExponent(code)).toThrow(RangeError);
  });
});

describe('supportedCurrencies', () => {
  const codes = supportedCurrencies();

  it('lists upper-case three-letter codes, sorted, without duplicates', () => {
    expect(codes.length).toBeGreaterThan(140);
    for (const code of codes) {
      expect(code).toMatch(/^[A-Z]{3}$/);
    }
    expect([...codes].sort()).toEqual(codes);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('has an exponent between 0 and 3 for every supported code, and each normalizes to itself', () => {
    for (const code of codes) {
      expect(normalizeCurrency(code.toLowerCase())).toBe(code);
      expect([0, 2, 3]).toContain(currencyExponent(code));
    }
  });

  // Fails when an update of the ISO table adds an X code, so that someone decides whether it is money.
  it('keeps exactly the reviewed X currencies', () => {
    expect(codes.filter((code) => code.startsWith('X'))).toEqual(['XAF', 'XCD', 'XOF', 'XPF']);
  });
});
