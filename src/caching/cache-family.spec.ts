import { cacheFamilyNamed, defineCacheFamily, definedCacheFamilies, isReservedKeyName } from './cache-family';

describe('defineCacheFamily', () => {
  it('declares a family with its own TTL, found again by name and listed in order of definition', () => {
    const widgets = defineCacheFamily('widget', { ttlMs: 30_000 });
    const gadgets = defineCacheFamily('gadget', { ttlMs: 5_000, inProcess: { ttlMs: 500, entriesMax: 100 } });
    expect(widgets).toEqual({ name: 'widget', ttlMs: 30_000 });
    expect(gadgets.inProcess).toEqual({ ttlMs: 500, entriesMax: 100 });
    expect(cacheFamilyNamed('widget')).toBe(widgets);
    expect(cacheFamilyNamed('nothing')).toBeUndefined();
    expect(definedCacheFamilies().map(({ name }) => name)).toEqual(['widget', 'gadget']);
  });

  it('returns the first declaration when a name is declared again alike, and refuses other options', () => {
    const first = defineCacheFamily('sprocket', { ttlMs: 1_000 });
    expect(defineCacheFamily('sprocket', { ttlMs: 1_000 })).toBe(first);
    expect(() => defineCacheFamily('sprocket', { ttlMs: 2_000 })).toThrow(/already defined with other options/);
    expect(() => defineCacheFamily('sprocket', { ttlMs: 1_000, inProcess: { ttlMs: 1, entriesMax: 1 } })).toThrow(
      /already defined/,
    );
  });

  it('is frozen, so no feature changes another feature\'s bounds', () => {
    const family = defineCacheFamily('frozen', { ttlMs: 1_000, inProcess: { ttlMs: 10, entriesMax: 1 } });
    expect(Object.isFrozen(family)).toBe(true);
    expect(Object.isFrozen(family.inProcess)).toBe(true);
  });

  it.each(['', 'Payment', '1payment', 'pay:ment', 'pay ment', 'generation', 'epoch', 'a'.repeat(65)])(
    'refuses the name %j (keys must read back one way, reserved names stay the cache\'s)',
    (name) => {
      expect(() => defineCacheFamily(name, { ttlMs: 1_000 })).toThrow(TypeError);
    },
  );

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses a TTL of %p', (ttlMs) => {
    expect(() => defineCacheFamily('bad_ttl', { ttlMs })).toThrow(RangeError);
    expect(() => defineCacheFamily('bad_copy', { ttlMs: 1_000, inProcess: { ttlMs, entriesMax: 1 } })).toThrow(
      RangeError,
    );
    expect(() => defineCacheFamily('bad_entries', { ttlMs: 1_000, inProcess: { ttlMs: 1, entriesMax: ttlMs } })).toThrow(
      RangeError,
    );
  });

  it('names the keys the cache keeps for itself', () => {
    expect(isReservedKeyName('generation')).toBe(true);
    expect(isReservedKeyName('epoch')).toBe(true);
    expect(isReservedKeyName('payment')).toBe(false);
  });
});
