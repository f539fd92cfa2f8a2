import { defineCacheFamily } from './cache-family';
import {
  cacheKey,
  cacheSlotTag,
  cacheSlotTags,
  entryKeysOf,
  epochKey,
  generationKeyOf,
  isEntryKey,
  isKeySegment,
  merchantOfKey,
  viewKey,
  withoutSlotTag,
} from './cache-key';

// Families as features declare them (the caching module knows none of its own).
const paymentCache = defineCacheFamily('payment', { ttlMs: 60_000 });
const balanceCache = defineCacheFamily('balance', { ttlMs: 10_000 });
const refundCache = defineCacheFamily('refund', { ttlMs: 60_000 });
const apiKeyCache = defineCacheFamily('api_key', { ttlMs: 300_000, inProcess: { ttlMs: 1_000, entriesMax: 10 } });

describe('cacheKey', () => {
  it('is family:merchantId:id, always with the merchant', () => {
    expect(cacheKey(paymentCache, 'mer_A', 'pay_1')).toBe('payment:mer_A:pay_1');
    expect(cacheKey(balanceCache, 'mer_A', 'current')).toBe('balance:mer_A:current');
    expect(cacheKey(apiKeyCache, '-', 'ab'.repeat(32))).toBe(`api_key:-:${'ab'.repeat(32)}`);
  });

  it('gives the same id of two merchants two keys', () => {
    expect(cacheKey(paymentCache, 'mer_A', 'pay_1')).not.toBe(cacheKey(paymentCache, 'mer_B', 'pay_1'));
  });

  it('keeps response bodies apart from loaded values', () => {
    expect(cacheKey(paymentCache, 'mer_A', 'pay_1', 'response')).toBe('payment:mer_A:pay_1:response');
    expect(cacheKey(paymentCache, 'mer_A', 'pay_1', 'data')).toBe(cacheKey(paymentCache, 'mer_A', 'pay_1'));
  });

  it.each([
    ['', 'pay_1'],
    ['mer_A', ''],
    ['mer:A', 'pay_1'],
    ['mer_A', 'pay:1'],
    ['mer A', 'pay_1'],
    ['mer_A', 'x'.repeat(257)],
  ])('refuses merchantId=%j id=%j, which could make two keys collide', (merchantId, id) => {
    expect(() => cacheKey(paymentCache, merchantId, id)).toThrow(TypeError);
  });

  it('tells which values can be key segments', () => {
    expect(isKeySegment('pay_1')).toBe(true);
    expect(isKeySegment('-')).toBe(true);
    expect(isKeySegment('x'.repeat(256))).toBe(true);
    for (const value of ['', 'a:b', ':', 'a b', 'a\tb', 'a\nb', ' ', 'x'.repeat(257), undefined, null, 42, ['pay_1']])
      expect(isKeySegment(value)).toBe(false);
  });

  it('names the generation of an object apart from every entry', () => {
    const generationKey = (merchantId: string) => generationKeyOf(cacheKey(paymentCache, merchantId, 'pay_1'));
    expect(generationKey('mer_A')).toBe('generation:payment:mer_A:pay_1');
    expect(generationKey('mer_A')).not.toBe(generationKey('mer_B'));
    expect(() => generationKey('mer:A')).toThrow(TypeError);
  });

  it('derives the key of a view from the object key, as cacheKey does', () => {
    const object = cacheKey(paymentCache, 'mer_A', 'pay_1');
    expect(viewKey(object, 'data')).toBe(object);
    expect(viewKey(object, 'response')).toBe(cacheKey(paymentCache, 'mer_A', 'pay_1', 'response'));
  });

  it('takes its family from a declaration, not a string', () => {
    expect(cacheKey(defineCacheFamily('widget', { ttlMs: 1_000 }), 'mer_A', 'w_1')).toBe('widget:mer_A:w_1');
  });
});

describe('entryKeysOf', () => {
  it('names every view of the object: what an invalidation deletes', () => {
    const object = cacheKey(paymentCache, 'mer_A', 'pay_1');
    expect(entryKeysOf(object)).toEqual([object, cacheKey(paymentCache, 'mer_A', 'pay_1', 'response')]);
  });
});

describe('isEntryKey', () => {
  it('is true for the entries of every family, in every view', () => {
    expect(isEntryKey(cacheKey(paymentCache, 'mer_A', 'pay_1'))).toBe(true);
    expect(isEntryKey(cacheKey(refundCache, 'mer_A', 're_1', 'response'))).toBe(true);
    expect(isEntryKey(cacheKey(apiKeyCache, '-', 'ab'.repeat(32)))).toBe(true);
    expect(isEntryKey(cacheKey(balanceCache, 'mer_A', 'current'))).toBe(true);
  });

  it('is false for generations, the epoch and anything else, which a drop of every entry keeps', () => {
    expect(isEntryKey(generationKeyOf(cacheKey(paymentCache, 'mer_A', 'pay_1')))).toBe(false);
    expect(isEntryKey(epochKey)).toBe(false);
    expect(isEntryKey('')).toBe(false);
    expect(isEntryKey(':payment:x')).toBe(false);
    expect(isEntryKey('generation')).toBe(false);
  });

  it('is true for a family this version does not define (another version sharing the cache)', () => {
    expect(isEntryKey('payouts:mer_A:po_1')).toBe(true);
  });
});

describe('cluster slot groups', () => {
  it('finds the merchant of entries and generations, and none in the epoch', () => {
    const object = cacheKey(paymentCache, 'mer_A', 'pay_1');
    expect(merchantOfKey(object)).toBe('mer_A');
    expect(merchantOfKey(viewKey(object, 'response'))).toBe('mer_A');
    expect(merchantOfKey(generationKeyOf(object))).toBe('mer_A');
    expect(merchantOfKey(epochKey)).toBeUndefined();
  });

  it('gives every key of a merchant one tag, and none on one server', () => {
    expect(cacheSlotTag('mer_A', 1)).toBe('');
    expect(cacheSlotTag('mer_A', 1024)).toMatch(/^\{[0-9]{1,4}\}$/);
    expect(cacheSlotTag('mer_A', 1024)).toBe(cacheSlotTag('mer_A', 1024));
  });

  it('spreads merchants over the groups', () => {
    const tags = new Set(Array.from({ length: 2_000 }, (_, index) => cacheSlotTag(`mer_${index}`, 64)));
    expect(tags.size).toBe(64);
    expect(cacheSlotTags(64)).toEqual(expect.arrayContaining([...tags]));
    expect(cacheSlotTags(64)).toHaveLength(64);
    expect(cacheSlotTags(1)).toEqual(['']);
  });

  it('reads a scanned key back without its tag', () => {
    expect(withoutSlotTag('{17}:payment:mer_A:pay_1')).toEqual({ tag: '{17}', key: 'payment:mer_A:pay_1' });
    expect(withoutSlotTag('payment:mer_A:pay_1')).toEqual({ tag: '', key: 'payment:mer_A:pay_1' });
  });
});
