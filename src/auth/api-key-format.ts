import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The shape of secret API keys. A key is `sk_test_` + 43 random base62 characters + a 6-character base62 CRC32 of
 * that random part (as GitHub's tokens carry one), so a mistyped or made-up key is refused from its text alone,
 * before any cache or database lookup. Keys made before the checksum existed (`sk_test_` + 43 base64url characters)
 * are still accepted, through a lookup: deployments hold them.
 */

export const apiKeyPrefix = 'sk_test_';

/** 43 base62 characters carry 43 × log2(62) ≈ 256.03 bits: as much as the 32 random bytes of the legacy keys. */
export const apiKeyRandomLength = 43;

/** A CRC32 is below 2^32, and 62^6 ≈ 5.7 × 10^10 is above it: six base62 characters hold any checksum. */
export const apiKeyChecksumLength = 6;

export const apiKeyLength = apiKeyPrefix.length + apiKeyRandomLength + apiKeyChecksumLength;

export type ApiKeyShape = 'checksummed' | 'legacy' | 'malformed';

const base62Alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// A byte is used only below 248 (= 4 × 62), so that `byte % 62` is uniform.
const acceptedByteLimit = 248;

const checksummedPattern = /^sk_test_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;

// 32 bytes in base64url without padding: 42 characters of 6 bits, then one that carries the last 4 bits (its low
// 2 bits zero, so it is one of these 16). Exact, so that only strings a legacy key could be cost a lookup.
const legacyPattern = /^sk_test_[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** `value` in base62, left-padded with '0' to `length` characters. */
export function base62Of(value: number, length: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`not a non-negative integer: ${value}`);
  let text = '';
  let rest = value;
  do {
    text = base62Alphabet.charAt(rest % 62) + text;
    rest = Math.floor(rest / 62);
  } while (rest > 0);
  if (text.length > length) throw new RangeError(`${value} does not fit in ${length} base62 characters`);
  return text.padStart(length, '0');
}

/** The checksum of a key's random part: its CRC32 (of the ASCII text) in six base62 characters. */
export function apiKeyChecksumOf(randomPart: string): string {
  return base62Of(crc32(randomPart), apiKeyChecksumLength);
}

/** The key made of `randomPart` (43 base62 characters) and its checksum. */
export function apiKeyFromRandomPart(randomPart: string): string {
  if (randomPart.length !== apiKeyRandomLength || !/^[0-9A-Za-z]+$/.test(randomPart)) {
    throw new RangeError(`the random part of a key is ${apiKeyRandomLength} base62 characters`);
  }
  return apiKeyPrefix + randomPart + apiKeyChecksumOf(randomPart);
}

/** A new secret key, from the operating system's CSPRNG. */
export function newApiKey(): string {
  let randomPart = '';
  while (randomPart.length < apiKeyRandomLength) {
    for (const byte of randomBytes(64)) {
      if (byte < acceptedByteLimit && randomPart.length < apiKeyRandomLength) {
        randomPart += base62Alphabet.charAt(byte % 62);
      }
    }
  }
  return apiKeyFromRandomPart(randomPart);
}

/**
 * What `key` can be, from its text alone: a checksummed key whose checksum matches, a key of the legacy shape
 * (only a lookup can tell), or neither, which no lookup could find.
 */
export function apiKeyShapeOf(key: string): ApiKeyShape {
  if (key.length === apiKeyLength) {
    const match = checksummedPattern.exec(key);
    return match && apiKeyChecksumOf(match[1]!) === match[2] ? 'checksummed' : 'malformed';
  }
  return legacyPattern.test(key) ? 'legacy' : 'malformed';
}
