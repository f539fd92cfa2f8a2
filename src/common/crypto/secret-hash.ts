import { createHash, hash, timingSafeEqual } from 'node:crypto';

/** SHA-256 hex of a secret: API keys are high-entropy, so a fast hash is enough and lookups stay O(1). */
export function sha256Hex(value: string): string {
  // The one-shot hash(): no Hash object per call (this runs on every authenticated request).
  return hash('sha256', value, 'hex');
}

/** Constant-time comparison that does not leak the length of either value. */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}
