import { ID_PREFIXES, type IdPrefix, idRandomLength, isId, newId } from './ids';

describe('newId', () => {
  it.each(ID_PREFIXES)('makes "%s_" followed by 24 base62 characters', (prefix) => {
    const id = newId(prefix);
    expect(id).toMatch(new RegExp(`^${prefix}_[0-9A-Za-z]{24}$`));
    expect(id).toHaveLength(prefix.length + 1 + idRandomLength);
    expect(isId(prefix, id)).toBe(true);
  });

  it('never repeats over 10 000 ids', () => {
    const ids = new Set<string>();
    for (let index = 0; index < 10_000; index += 1) {
      ids.add(newId('pay'));
    }
    expect(ids.size).toBe(10_000);
  });

  it('uses the whole base62 alphabet, roughly uniformly', () => {
    const counts = new Map<string, number>();
    const idCount = 5_000;
    for (let index = 0; index < idCount; index += 1) {
      for (const character of newId('evt').slice('evt_'.length)) {
        counts.set(character, (counts.get(character) ?? 0) + 1);
      }
    }
    expect(counts.size).toBe(62);
    // 120 000 characters over 62 symbols: about 1935 each; a modulo bias would push the first 8 symbols ~25% higher.
    const expected = (idCount * idRandomLength) / 62;
    for (const count of counts.values()) {
      expect(count).toBeGreaterThan(expected * 0.85);
      expect(count).toBeLessThan(expected * 1.15);
    }
  });

  it('refuses a prefix outside the list', () => {
    expect(() => newId('usr' as IdPrefix)).toThrow(TypeError);
  });
});

describe('isId', () => {
  const valid = 'pay_0123456789ABCDEFGHIJabcd';

  it('accepts a well-formed id of the right type', () => {
    expect(isId('pay', valid)).toBe(true);
  });

  it.each([
    ['another type prefix', 'mer', valid],
    ['a prefix that only starts the same', 're', 'req_0123456789ABCDEFGHIJabcd'],
    ['a longer prefix that ends the same', 're', 'pre_0123456789ABCDEFGHIJabcd'],
    ['an upper-case prefix', 'pay', 'PAY_0123456789ABCDEFGHIJabcd'],
    ['a missing underscore', 'pay', 'pay0123456789ABCDEFGHIJabcd'],
    ['a dash instead of the underscore', 'pay', 'pay-0123456789ABCDEFGHIJabcd'],
    ['23 characters', 'pay', 'pay_0123456789ABCDEFGHIJabc'],
    ['25 characters', 'pay', 'pay_0123456789ABCDEFGHIJabcde'],
    ['an empty suffix', 'pay', 'pay_'],
    ['only the prefix', 'pay', 'pay'],
    ['an empty string', 'pay', ''],
    ['a dash inside', 'pay', 'pay_0123456789ABCDEFGHIJab-d'],
    ['an underscore inside', 'pay', 'pay_0123456789ABCDEFGHIJab_d'],
    ['a non-ASCII letter', 'pay', 'pay_0123456789ABCDEFGHIJabcé'],
    ['a trailing newline', 'pay', `${valid}\n`],
    ['a leading space', 'pay', ` ${valid}`],
    ['a trailing space', 'pay', `${valid} `],
    ['SQL', 'pay', "pay_' OR 1=1 --aaaaaaaaaaaa"],
    ['a path', 'pay', 'pay_../../../../etc/passwdxx'],
  ] as const)('rejects %s', (_case, prefix, value) => {
    expect(isId(prefix, value)).toBe(false);
  });

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an object', { id: valid }],
    ['an array', [valid]],
    ['a String object', new String(valid)],
  ])('rejects %s', (_case, value) => {
    expect(isId('pay', value)).toBe(false);
  });

  it('narrows unknown to string', () => {
    const value: unknown = newId('we');
    if (isId('we', value)) {
      expect(value.startsWith('we_')).toBe(true);
    } else {
      throw new Error('a fresh id must be valid');
    }
  });
});
