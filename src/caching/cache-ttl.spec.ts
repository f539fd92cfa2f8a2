import fc from 'fast-check';
import { entryTtlMs, jitteredTtlMs } from './cache-ttl';
import { defineCacheFamily } from './cache-family';
import { notFoundTtlMs, ttlJitterRatio } from './caching.limits';

const families = [
  defineCacheFamily('payment', { ttlMs: 60_000 }),
  defineCacheFamily('balance', { ttlMs: 10_000 }),
  defineCacheFamily('api_key', { ttlMs: 300_000, inProcess: { ttlMs: 1_000, entriesMax: 10 } }),
];

describe('jitteredTtlMs', () => {
  it('keeps the full TTL at a draw of 0 and takes off up to the ratio as the draw nears 1', () => {
    expect(jitteredTtlMs(10_000, 0.2, () => 0)).toBe(10_000);
    expect(jitteredTtlMs(10_000, 0.2, () => 0.5)).toBe(9_000);
    expect(jitteredTtlMs(10_000, 0.2, () => 0.999_999)).toBe(8_001);
  });

  it('stays within [ttl × (1 − ratio), ttl], in whole milliseconds, at least 1, for any TTL, ratio and draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 86_400_000 }),
        fc.double({ min: 0, max: 0.99, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (ttlMs, ratio, draw) => {
          const jittered = jitteredTtlMs(ttlMs, ratio, () => draw);
          expect(Number.isInteger(jittered)).toBe(true);
          expect(jittered).toBeGreaterThanOrEqual(Math.max(1, Math.floor(ttlMs * (1 - ratio))));
          expect(jittered).toBeLessThanOrEqual(ttlMs);
        },
      ),
    );
  });

  it('spreads expiries written together over the whole jitter window', () => {
    const ttls = Array.from({ length: 1_000 }, () => jitteredTtlMs(60_000, 0.2));
    expect(new Set(ttls).size).toBeGreaterThan(500);
    expect(Math.min(...ttls)).toBeLessThan(60_000 * 0.82);
    expect(Math.max(...ttls)).toBeGreaterThan(60_000 * 0.98);
  });

  it('does not jitter with a ratio of 0', () => {
    expect(jitteredTtlMs(5_000, 0, () => 0.7)).toBe(5_000);
  });

  it.each([
    [0, 0.2],
    [-1, 0.2],
    [1.5, 0.2],
    [Number.NaN, 0.2],
    [1_000, 1],
    [1_000, -0.1],
    [1_000, Number.NaN],
  ])('refuses ttlMs=%s with ratio=%s', (ttlMs, ratio) => {
    expect(() => jitteredTtlMs(ttlMs, ratio)).toThrow(RangeError);
  });

  it('refuses a random source outside [0, 1)', () => {
    expect(() => jitteredTtlMs(1_000, 0.2, () => 1)).toThrow(RangeError);
    expect(() => jitteredTtlMs(1_000, 0.2, () => -0.1)).toThrow(RangeError);
  });
});

describe('entryTtlMs', () => {
  it.each(families.map((family) => [family.name, family] as const))(
    'gives a found %s its own TTL, jittered down',
    (_name, family) => {
      expect(entryTtlMs(family, true, () => 0)).toBe(family.ttlMs);
      expect(entryTtlMs(family, true, () => 0.999_999)).toBeGreaterThanOrEqual(family.ttlMs * (1 - ttlJitterRatio));
    },
  );

  it('gives a "not found" marker the short TTL whatever the family', () => {
    for (const family of families) {
      expect(entryTtlMs(family, false, () => 0)).toBe(notFoundTtlMs);
      expect(entryTtlMs(family, false)).toBeLessThanOrEqual(notFoundTtlMs);
    }
  });

  it('never keeps a "not found" marker longer than the family keeps a value', () => {
    const fleeting = defineCacheFamily('fleeting', { ttlMs: 1_500 });
    expect(entryTtlMs(fleeting, false, () => 0)).toBe(1_500);
  });
});
