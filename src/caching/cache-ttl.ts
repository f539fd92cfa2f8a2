import type { CacheFamily } from './cache-family';
import { notFoundTtlMs, ttlJitterRatio } from './caching.limits';

/**
 * `ttlMs` shortened by a random part of up to `jitterRatio` of it: within [ttlMs × (1 − jitterRatio), ttlMs], in
 * whole milliseconds, at least 1. Never longer than `ttlMs`, which stays the bound on staleness.
 * `random` returns a number in [0, 1), like Math.random.
 */
export function jitteredTtlMs(ttlMs: number, jitterRatio: number, random: () => number = Math.random): number {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new RangeError(`ttlMs must be a positive integer: ${ttlMs}`);
  if (!(jitterRatio >= 0 && jitterRatio < 1)) throw new RangeError(`jitterRatio must be in [0, 1): ${jitterRatio}`);
  const draw = random();
  if (!(draw >= 0 && draw < 1)) throw new RangeError(`random() must return a number in [0, 1): ${draw}`);
  return Math.max(1, Math.ceil(ttlMs - ttlMs * jitterRatio * draw));
}

/** The TTL of one entry written now: the family's for a value, the short one for a "not found" marker. */
export function entryTtlMs(family: CacheFamily, found: boolean, random: () => number = Math.random): number {
  return jitteredTtlMs(found ? family.ttlMs : Math.min(notFoundTtlMs, family.ttlMs), ttlJitterRatio, random);
}
