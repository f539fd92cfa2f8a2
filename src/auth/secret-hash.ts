import { createHash, timingSafeEqual } from 'node:crypto';

/** SHA-256 hex of a secret: API keys are high-entropy, so a fast hash is enough and lookups stay O(1). */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** Constant-time comparison that does not leak the length of either value. */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}
