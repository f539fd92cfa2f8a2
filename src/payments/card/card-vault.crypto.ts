import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { type Keyring, KeyringError, keyringFormatVersion } from '../../common/crypto/keyring';

// Format 1, the entries sealed before key ids: version (1 byte) | IV (12 bytes) | GCM tag (16 bytes) | ciphertext,
// directly under the vault key, authenticated data = the version byte. New entries are format 2 (the keyring's
// layout, see sealCardSecret); format 1 is still opened, under the current or a previous key.
const formatVersion = 1;
const keyLengthBytes = 32; // AES-256
const ivLengthBytes = 12; // the GCM standard nonce size; random per entry, so a key can seal ~2^32 entries safely
const tagLengthBytes = 16; // the full GCM tag; shorter tags make forgeries cheaper
const headerLengthBytes = 1 + ivLengthBytes + tagLengthBytes;
const cipherName = 'aes-256-gcm';

// The fingerprint uses its own key derived from FINGERPRINT_KEY (which does not rotate with the vault key), so
// that one key never serves two algorithms. The info string is unchanged since the fingerprint key was derived
// from the vault key: a deployment that sets FINGERPRINT_KEY to its old vault key keeps its fingerprints.
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

/** Failed authentication: altered, or sealed under another key (the next key may open it). */
class EntryNotAuthentic extends CardVaultError {}

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

/**
 * Format 1: seals a card directly under a vault key. Nothing new is sealed this way (sealCardSecret is); it stays
 * to describe, and let tests make, the entries stored before key ids.
 */
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

/** Opens a format 1 entry; throws CardVaultError if it was altered, truncated or sealed under another key. */
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
    throw new EntryNotAuthentic('sealed card secret failed authentication (tampered, or another key)');
  }
  return cardSecretFrom(plaintext);
}

/** Parses an opened entry, then wipes the plaintext bytes. */
function cardSecretFrom(plaintext: Buffer): CardSecret {
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

const vaultPurpose = 'card vault';

/**
 * Format 2: seals a card under the keyring's current key, bound to its vault token, so that the entry copied onto
 * another token no longer opens. The entry's key id (sealedKeyId) says which key a rotation has yet to replace.
 */
export function sealCardSecret(keyring: Keyring, token: string, plain: CardSecret): Buffer {
  assertCardSecret(plain);
  const plaintext = Buffer.from(JSON.stringify({ number: plain.number, cvc: plain.cvc }), 'utf8');
  try {
    return keyring.seal(vaultPurpose, token, plaintext);
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Opens the entry of `token` in either format: format 2 under the key its header names, format 1 under the
 * current or any previous key. Throws CardVaultError when no configured key opens it (or it was altered or moved).
 */
export function openCardSecret(keyring: Keyring, token: string, sealed: Buffer): CardSecret {
  if (!Buffer.isBuffer(sealed) || sealed.length === 0) throw new CardVaultError('sealed card secret is too short');
  if (sealed[0] === keyringFormatVersion) {
    let plaintext: Buffer;
    try {
      plaintext = keyring.open(vaultPurpose, token, sealed);
    } catch (error) {
      // The keyring's messages are fixed texts and key ids, never key or card bytes.
      if (error instanceof KeyringError) throw new CardVaultError(`card vault entry: ${error.message}`);
      throw error;
    }
    return cardSecretFrom(plaintext);
  }
  if (sealed[0] !== formatVersion) throw new CardVaultError('sealed card secret has an unknown format version');
  for (const key of keyring.legacyRootKeys()) {
    try {
      return decryptCardSecret(sealed, key);
    } catch (error) {
      // Only "not this key" moves on to the next key; a malformed entry fails the same under every key.
      if (!(error instanceof EntryNotAuthentic)) throw error;
    }
  }
  throw new CardVaultError('card vault entry (format 1) opens under none of the configured vault keys');
}

/**
 * A keyed hash of the card number under FINGERPRINT_KEY: the same card gives the same fingerprint across vault
 * key rotations, and without the key a fingerprint cannot be matched against the (small) space of card numbers.
 */
export function cardFingerprint(number: string, key: Buffer): string {
  assertKey(key);
  if (typeof number !== 'string' || !cardNumberPattern.test(number)) {
    throw new CardVaultError('card number must be 12 to 19 digits');
  }
  return createHmac('sha256', cardFingerprintKeyOf(key))
    .update(number, 'utf8')
    .digest('hex')
    .slice(0, fingerprintLengthHex);
}

/** The HMAC key derived from each FINGERPRINT_KEY, derived once (by the key's bytes: a key is rarely one object). */
const cardFingerprintKeys = new Map<string, KeyObject>();

function cardFingerprintKeyOf(key: Buffer): KeyObject {
  const id = key.toString('hex');
  let derived = cardFingerprintKeys.get(id);
  if (!derived) {
    derived = createSecretKey(
      Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), fingerprintKeyInfo, keyLengthBytes)),
    );
    // A process has one or two keys (tests make more): a bound keeps a caller that makes many from growing this.
    if (cardFingerprintKeys.size >= 16) cardFingerprintKeys.clear();
    cardFingerprintKeys.set(id, derived);
  }
  return derived;
}
