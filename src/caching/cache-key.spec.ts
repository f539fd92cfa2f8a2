import { cacheKey, entryKeysOf, epochKey, generationKeyOf, isEntryKey, isKeySegment, viewKey } from './cache-key';

describe('cacheKey', () => {
  it('is family:merchantId:id, always with the merchant', () => {
    expect(cacheKey('payment', 'mer_A', 'pay_1')).toBe('payment:mer_A:pay_1');
    expect(cacheKey('balance', 'mer_A', 'current')).toBe('balance:mer_A:current');
    expect(cacheKey('api_key', '-', 'ab'.repeat(32))).toBe(`api_key:-:${'ab'.repeat(32)}`);
  });

  it('gives the same id of two merchants two keys', () => {
    expect(cacheKey('payment', 'mer_A', 'pay_1')).not.toBe(cacheKey('payment', 'mer_B', 'pay_1'));
  });

  it('keeps response bodies apart from loaded values', () => {
    expect(cacheKey('payment', 'mer_A', 'pay_1', 'response')).toBe('payment:mer_A:pay_1:response');
    expect(cacheKey('payment', 'mer_A', 'pay_1', 'data')).toBe(cacheKey('payment', 'mer_A', 'pay_1'));
  });

  it.each([
    ['', 'pay_1'],
    ['mer_A', ''],
    ['mer:A', 'pay_1'],
    ['mer_A', 'pay:1'],
    ['mer A', 'pay_1'],
    ['mer_A', 'x'.repeat(257)],
  ])('refuses merchantId=%j id=%j, which could make two keys collide', (merchantId, id) => {
    expect(() => cacheKey('payment', merchantId, id)).toThrow(TypeError);
  });

  it('tells which values can be key segments', () => {
    expect(isKeySegment('pay_1')).toBe(true);
    expect(isKeySegment('-')).toBe(true);
    expect(isKeySegment('x'.repeat(256))).toBe(true);
    for (const value of ['', 'a:b', ':', 'a b', 'a\tb', 'a\nb', ' ', 'x'.repeat(257), undefined, null, 42, ['pay_1']])
      expect(isKeySegment(value)).toBe(false);
  });

  it('names the generation of an object apart from every entry', () => {
    const generationKey = (merchantId: string) => generationKeyOf(cacheKey('payment', merchantId, 'pay_1'));
    expect(generationKey('mer_A')).toBe('generation:payment:mer_A:pay_1');
    expect(generationKey('mer_A')).not.toBe(generationKey('mer_B'));
    expect(() => generationKey('mer:A')).toThrow(TypeError);
  });

  it('derives the key of a view from the object key, as cacheKey does', () => {
    const object = cacheKey('payment', 'mer_A', 'pay_1');
    expect(viewKey(object, 'data')).toBe(object);
    expect(viewKey(object, 'response')).toBe(cacheKey('payment', 'mer_A', 'pay_1', 'response'));
  });

  it('refuses an unknown family', () => {
    expect(() => cacheKey('merchant' as never, 'mer_A', 'x')).toThrow(TypeError);
  });
});

describe('entryKeysOf', () => {
  it('names every view of the object: what an invalidation deletes', () => {
    const object = cacheKey('payment', 'mer_A', 'pay_1');
    expect(entryKeysOf(object)).toEqual([object, cacheKey('payment', 'mer_A', 'pay_1', 'response')]);
  });
});

describe('isEntryKey', () => {
  it('is true for the entries of every family, in every view', () => {
    expect(isEntryKey(cacheKey('payment', 'mer_A', 'pay_1'))).toBe(true);
    expect(isEntryKey(cacheKey('refund', 'mer_A', 're_1', 'response'))).toBe(true);
    expect(isEntryKey(cacheKey('api_key', '-', 'ab'.repeat(32)))).toBe(true);
    expect(isEntryKey(cacheKey('balance', 'mer_A', 'current'))).toBe(true);
  });

  it('is false for generations, the epoch and anything else, which a drop of every entry keeps', () => {
    expect(isEntryKey(generationKeyOf(cacheKey('payment', 'mer_A', 'pay_1')))).toBe(false);
    expect(isEntryKey(epochKey)).toBe(false);
    expect(isEntryKey('')).toBe(false);
    expect(isEntryKey(':payment:x')).toBe(false);
    expect(isEntryKey('payments:mer_A:pay_1')).toBe(false);
  });
});
