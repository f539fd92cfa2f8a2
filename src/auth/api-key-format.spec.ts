import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  apiKeyChecksumLength,
  apiKeyChecksumOf,
  apiKeyFromRandomPart,
  apiKeyLength,
  apiKeyPrefix,
  apiKeyRandomLength,
  apiKeyShapeOf,
  base62Of,
  newApiKey,
} from './api-key-format';

const base62Alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const base64urlAlphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// Fixed keys, so that every case below is the same on every run.
const fixedKeys = [
  apiKeyFromRandomPart('0'.repeat(apiKeyRandomLength)),
  apiKeyFromRandomPart('z'.repeat(apiKeyRandomLength)),
  apiKeyFromRandomPart(base62Alphabet.slice(0, apiKeyRandomLength)),
  apiKeyFromRandomPart('Kq7Zt2mWb9XcR4vNp1LsD8fHj3GyT6uEa0oPi5nMwQe'),
];

/** The legacy key format: 32 random bytes in base64url, as keys were made before the checksum. */
function legacyKey(): string {
  return apiKeyPrefix + randomBytes(32).toString('base64url');
}

function withCharAt(key: string, index: number, char: string): string {
  return key.slice(0, index) + char + key.slice(index + 1);
}

function swapped(key: string, index: number): string {
  return key.slice(0, index) + key[index + 1]! + key[index]! + key.slice(index + 2);
}

describe('base62Of', () => {
  it.each([
    [0, 6, '000000'],
    [61, 6, '00000z'],
    [62, 6, '000010'],
    [2 ** 32 - 1, 6, '4gfFC3'],
  ])('writes %d in %d base62 characters as %s', (value, length, text) => {
    expect(base62Of(value, length)).toBe(text);
  });

  it('refuses a value that does not fit, a negative or a fractional one', () => {
    expect(() => base62Of(62 ** 6, 6)).toThrow(RangeError);
    expect(() => base62Of(-1, 6)).toThrow(RangeError);
    expect(() => base62Of(1.5, 6)).toThrow(RangeError);
  });
});

describe('a new API key', () => {
  const keys = Array.from({ length: 200 }, () => newApiKey());

  it('is sk_test_, 43 base62 characters and their 6-character CRC32', () => {
    expect(apiKeyLength).toBe(57);
    for (const key of keys) {
      expect(key).toMatch(/^sk_test_[0-9A-Za-z]{49}$/);
      const randomPart = key.slice(apiKeyPrefix.length, apiKeyPrefix.length + apiKeyRandomLength);
      expect(key.slice(-apiKeyChecksumLength)).toBe(base62Of(crc32(randomPart), apiKeyChecksumLength));
      expect(apiKeyShapeOf(key)).toBe('checksummed');
    }
  });

  it('carries at least 256 bits of randomness, every key different', () => {
    expect(apiKeyRandomLength * Math.log2(62)).toBeGreaterThanOrEqual(256);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('uses every base62 character in its random part (no bias toward a subset)', () => {
    const seen = new Set(keys.flatMap((key) => [...key.slice(apiKeyPrefix.length, -apiKeyChecksumLength)]));
    expect(seen.size).toBe(62);
  });

  it('is made only from a random part of 43 base62 characters', () => {
    expect(() => apiKeyFromRandomPart('a'.repeat(42))).toThrow(RangeError);
    expect(() => apiKeyFromRandomPart('a'.repeat(44))).toThrow(RangeError);
    expect(() => apiKeyFromRandomPart(`${'a'.repeat(42)}-`)).toThrow(RangeError);
  });
});

describe('apiKeyShapeOf', () => {
  const keys = [...fixedKeys, ...Array.from({ length: 20 }, () => newApiKey())];

  it('accepts a checksummed key as it was issued', () => {
    for (const key of keys) expect(apiKeyShapeOf(key)).toBe('checksummed');
  });

  it('refuses every key with one character changed, at every position, to any other character', () => {
    const accepted: string[] = [];
    for (const key of keys) {
      for (let index = 0; index < key.length; index += 1) {
        for (const char of base62Alphabet + '_-') {
          const changed = withCharAt(key, index, char);
          if (char !== key[index] && apiKeyShapeOf(changed) !== 'malformed') accepted.push(changed);
        }
      }
    }
    expect(accepted).toEqual([]);
  });

  it('refuses every key with two neighbouring characters swapped, at every position', () => {
    for (const key of fixedKeys) {
      for (let index = 0; index + 1 < key.length; index += 1) {
        if (key[index] === key[index + 1]) continue;
        expect([swapped(key, index), apiKeyShapeOf(swapped(key, index))]).toEqual([swapped(key, index), 'malformed']);
      }
    }
    // CRC32 catches every swap inside the random part and the checksum of any key (a burst of at most 16 bits).
    for (const key of keys) {
      for (let index = apiKeyPrefix.length; index + 1 < key.length; index += 1) {
        if (key[index] === key[index + 1] || index + 1 === apiKeyPrefix.length + apiKeyRandomLength) continue;
        expect(apiKeyShapeOf(swapped(key, index))).toBe('malformed');
      }
    }
  });

  it('refuses a key one character too long or too short, wherever the character is', () => {
    for (const key of keys) {
      for (let index = 0; index <= key.length; index += 1) {
        expect(apiKeyShapeOf(key.slice(0, index) + 'a' + key.slice(index))).toBe('malformed');
        if (index < key.length) expect(apiKeyShapeOf(key.slice(0, index) + key.slice(index + 1))).toBe('malformed');
      }
    }
  });

  it.each(['sk_live_', 'SK_TEST_', 'pk_test_', 'sk-test-', 'sk_test', ''])(
    'refuses a valid body under prefix %j',
    (prefix) => {
      for (const key of keys) expect(apiKeyShapeOf(prefix + key.slice(apiKeyPrefix.length))).toBe('malformed');
    },
  );

  it('refuses a valid random part whose checksum was computed over something else', () => {
    const randomPart = fixedKeys[3]!.slice(apiKeyPrefix.length, -apiKeyChecksumLength);
    expect(apiKeyShapeOf(apiKeyPrefix + randomPart + apiKeyChecksumOf(randomPart.toLowerCase()))).toBe('malformed');
  });

  it.each([
    '',
    'sk_test_',
    'sk_test_unknown',
    'Bearer',
    `sk_test_${'a'.repeat(49)}`,
    `sk_test_${'a'.repeat(48)}é`,
    `sk_test_${'a'.repeat(100)}`,
    `${fixedKeys[0]!} `,
    ` ${fixedKeys[0]!}`,
  ])('refuses %j', (text) => {
    expect(apiKeyShapeOf(text)).toBe('malformed');
  });

  it('recognizes keys of the legacy shape (32 random bytes in base64url), which only a lookup can tell', () => {
    for (let count = 0; count < 1000; count += 1) expect(apiKeyShapeOf(legacyKey())).toBe('legacy');
  });

  it('refuses what no 32-byte base64url string can be: a wrong last character, length or alphabet', () => {
    const key = legacyKey();
    const possibleLast = new Set('AEIMQUYcgkosw048');
    for (const char of base64urlAlphabet) {
      expect(apiKeyShapeOf(key.slice(0, -1) + char)).toBe(possibleLast.has(char) ? 'legacy' : 'malformed');
    }
    expect(apiKeyShapeOf(key.slice(0, -1))).toBe('malformed');
    expect(apiKeyShapeOf(`${key}A`)).toBe('malformed');
    expect(apiKeyShapeOf(withCharAt(key, apiKeyPrefix.length, '+'))).toBe('malformed');
    expect(apiKeyShapeOf(withCharAt(key, apiKeyPrefix.length, '='))).toBe('malformed');
    expect(apiKeyShapeOf(`sk_live_${key.slice(apiKeyPrefix.length)}`)).toBe('malformed');
  });
});
