import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

// Sealed layout: version (1 byte) | IV (12 bytes) | GCM tag (16 bytes) | ciphertext.
// The version byte lets a later format or key rotation coexist with entries already stored.
const formatVersion = 1;
const keyLengthBytes = 32; // AES-256
const ivLengthBytes = 12; // the GCM standard nonce size; random per entry, so a key can seal ~2^32 entries safely
const tagLengthBytes = 16; // the full GCM tag; shorter tags make forgeries cheaper
const headerLengthBytes = 1 + ivLengthBytes + tagLengthBytes;
const cipherName = 'aes-256-gcm';

// The fingerprint uses its own key derived from the vault key, so that one key never serves two algorithms.
const fingerprintKeyInfo = 'payments card fingerprint v1';
// 32 hex characters are 128 bits: no two cards of one deployment share a fingerprint.
const fingerprintLengthHex = 32;

const cardNumberPattern = /^[0-9]{12,19}$/;
const cvcPattern = /^[0-9]{3,4}$/;

export interface CardSecret {
  number: string;
  cvc: string | null;
}

/** Errors here never carry card data: messages are fixed texts. */
export class CardVaultError extends Error {
  override readonly name = 'CardVaultError';
}

function assertKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== keyLengthBytes) {
    throw new CardVaultError(`the vault key must be ${keyLengthBytes} bytes`);
  }
}

function assertCardSecret(value: unknown): asserts value is CardSecret {
  if (typeof value !== 'object' || value === null) {
    throw new CardVaultError('card secret is not an object');
  }
  const { number, cvc } = value as Record<string, unknown>;
  if (typeof number !== 'string' || !cardNumberPattern.test(number)) {
    throw new CardVaultError('card number must be 12 to 19 digits');
  }
  if (cvc !== null && (typeof cvc !== 'string' || !cvcPattern.test(cvc))) {
    throw new CardVaultError('cvc must be 3 or 4 digits or null');
  }
}

/** Seals a card number and CVC with AES-256-GCM under a fresh random IV. */
export function encryptCardSecret(plain: CardSecret, key: Buffer): Buffer {
  assertKey(key);
  assertCardSecret(plain);
  const header = Buffer.from([formatVersion]);
  const iv = randomBytes(ivLengthBytes);
  const cipher = createCipheriv(cipherName, key, iv, { authTagLength: tagLengthBytes });
  // The version byte is authenticated too, so that it cannot be changed to steer a future decoder.
  cipher.setAAD(header);
  const plaintext = Buffer.from(JSON.stringify({ number: plain.number, cvc: plain.cvc }), 'utf8');
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  plaintext.fill(0);
  return Buffer.concat([header, iv, cipher.getAuthTag(), ciphertext]);
}

/** Opens a sealed card secret; throws CardVaultError if it was altered, truncated or sealed under another key. */
export function decryptCardSecret(sealed: Buffer, key: Buffer): CardSecret {
  assertKey(key);
  if (!Buffer.isBuffer(sealed) || sealed.length <= headerLengthBytes) {
    throw new CardVaultError('sealed card secret is too short');
  }
  if (sealed[0] !== formatVersion) {
    throw new CardVaultError('sealed card secret has an unknown format version');
  }
  const iv = sealed.subarray(1, 1 + ivLengthBytes);
  const tag = sealed.subarray(1 + ivLengthBytes, headerLengthBytes);
  const ciphertext = sealed.subarray(headerLengthBytes);
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv(cipherName, key, iv, { authTagLength: tagLengthBytes });
    decipher.setAAD(sealed.subarray(0, 1));
    decipher.setAuthTag(tag);
    plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new CardVaultError('sealed card secret failed authentication (tampered, or another key)');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw new CardVaultError('sealed card secret does not hold a card');
  } finally {
    plaintext.fill(0);
  }
  assertCardSecret(parsed);
  return { number: parsed.number, cvc: parsed.cvc };
}

/**
 * A keyed hash of the card number: the same card gives the same fingerprint under one vault key, and
 * without the key a fingerprint cannot be matched against the (small) space of possible card numbers.
 */
export function cardFingerprint(number: string, key: Buffer): string {
  assertKey(key);
  if (typeof number !== 'string' || !cardNumberPattern.test(number)) {
    throw new CardVaultError('card number must be 12 to 19 digits');
  }
  const fingerprintKey = Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), fingerprintKeyInfo, keyLengthBytes));
  return createHmac('sha256', fingerprintKey).update(number, 'utf8').digest('hex').slice(0, fingerprintLengthHex);
}

const hexKeyPattern = /^[0-9a-fA-F]{64}$/;
const base64KeyPattern = /^[A-Za-z0-9+/]{43}=?$/;

/**
 * The vault key from configuration: 64 hex characters, or standard base64 of 32 bytes (as printed by
 * `openssl rand -hex 32` or `openssl rand -base64 32`). Surrounding white space, such as the newline at
 * the end of a key file, is ignored; anything else is refused rather than guessed at.
 */
export function parseVaultKey(value: string): Buffer {
  const text = typeof value === 'string' ? value.trim() : '';
  if (hexKeyPattern.test(text)) {
    return Buffer.from(text, 'hex');
  }
  if (base64KeyPattern.test(text)) {
    const key = Buffer.from(text, 'base64');
    // Node ignores stray trailing bits; re-encoding finds a text that is not the canonical form of 32 bytes.
    if (key.length === keyLengthBytes && key.toString('base64').replace(/=$/, '') === text.replace(/=$/, '')) {
      return key;
    }
  }
  throw new CardVaultError(`the vault key must be 64 hex characters or the base64 of ${keyLengthBytes} bytes`);
}
