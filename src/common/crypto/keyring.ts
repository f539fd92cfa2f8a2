import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, type KeyObject, randomBytes } from 'node:crypto';

/**
 * What a key seals. Each purpose gets its own subkey (HKDF), so one key never serves two purposes and a blob
 * sealed for one purpose never opens as another.
 */
export type KeyPurpose = 'card vault' | 'webhook secret' | 'idempotent response';

// Sealed layout: version (1 byte) | key id (4 bytes) | IV (12 bytes) | GCM tag (16 bytes) | ciphertext.
// Version 1 was the card vault's format before key ids (card-vault.crypto.ts still opens it), so this is 2.
export const keyringFormatVersion = 2;
const keyLengthBytes = 32; // AES-256
const keyIdLengthBytes = 4; // 8 hex characters: tells keys of one ring apart; not meant to be unguessable
const ivLengthBytes = 12; // the GCM standard nonce size; random per blob, so a subkey can seal ~2^32 blobs safely
const tagLengthBytes = 16; // the full GCM tag; shorter tags make forgeries cheaper
const headerLengthBytes = 1 + keyIdLengthBytes;
const sealedLengthMin = headerLengthBytes + ivLengthBytes + tagLengthBytes;
const cipherName = 'aes-256-gcm';

const keyIdInfo = 'payments keyring key id v1';
const subkeyInfoPrefix = 'payments keyring subkey v1: ';

/** Errors here never carry a key, a plaintext or a context: messages are fixed texts (key ids are not secret). */
export class KeyringError extends Error {
  override readonly name = 'KeyringError';
}

interface RingKey {
  id: string;
  root: Buffer;
  /** KeyObjects, made once: a Buffer key is checked and wrapped again by every cipher made with it. */
  subkeys: Map<KeyPurpose, KeyObject>;
}

function assertKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== keyLengthBytes) {
    throw new KeyringError(`a keyring key must be ${keyLengthBytes} bytes`);
  }
}

/** A short public name of a key: an HKDF output, so it reveals nothing of the key it names. */
export function keyIdOf(key: Buffer): string {
  assertKey(key);
  return Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), keyIdInfo, keyIdLengthBytes)).toString('hex');
}

/** The id of the key a blob of this format was sealed under, or null when it is not a blob of this format. */
export function sealedKeyId(sealed: Buffer): string | null {
  if (!Buffer.isBuffer(sealed) || sealed.length < sealedLengthMin || sealed[0] !== keyringFormatVersion) return null;
  return sealed.subarray(1, headerLengthBytes).toString('hex');
}

/**
 * The additional authenticated data: the header (so version and key id cannot be swapped), the purpose and the
 * context, which names what the blob belongs to (a row id), so that a blob copied elsewhere no longer opens.
 * The purpose cannot hold a NUL and comes first, so no two (purpose, context) pairs give the same bytes.
 */
function additionalData(header: Buffer, purpose: KeyPurpose, context: string): Buffer {
  return Buffer.concat([header, Buffer.from(purpose, 'utf8'), Buffer.from([0]), Buffer.from(context, 'utf8')]);
}

function assertContext(context: string): void {
  if (typeof context !== 'string' || context === '') {
    throw new KeyringError('a sealing context must be a non-empty string');
  }
}

/**
 * The current key seals; the current and previous keys open. Keys are given as configured (root keys); every
 * purpose seals under its own subkey derived from the root key by HKDF.
 */
export class Keyring {
  private readonly current: RingKey;
  private readonly byId: ReadonlyMap<string, RingKey>;

  constructor(currentKey: Buffer, previousKeys: readonly Buffer[] = []) {
    const keys = [currentKey, ...previousKeys].map((root): RingKey => {
      assertKey(root);
      return { id: keyIdOf(root), root: Buffer.from(root), subkeys: new Map() };
    });
    const byId = new Map<string, RingKey>();
    for (const key of keys) {
      const known = byId.get(key.id);
      if (known && !known.root.equals(key.root)) {
        // Two different keys with one id (a 2^-32 chance): blobs could not say which of them sealed them.
        throw new KeyringError(`two different keys share the key id ${key.id}; generate a new key`);
      }
      if (!known) byId.set(key.id, key);
    }
    this.current = keys[0]!;
    this.byId = byId;
  }

  /** The id new blobs are sealed under (stored beside them, to follow a rotation). */
  get currentKeyId(): string {
    return this.current.id;
  }

  /** The ids of every key that can open, the current one first. */
  get keyIds(): string[] {
    return [...this.byId.keys()];
  }

  /**
   * The configured keys themselves, the current one first: only to open data sealed before the keyring existed
   * directly under a root key (card vault format 1). Never seal anything new with them.
   */
  legacyRootKeys(): Buffer[] {
    return [...this.byId.values()].map((key) => key.root);
  }

  seal(purpose: KeyPurpose, context: string, plaintext: Buffer): Buffer {
    assertContext(context);
    if (!Buffer.isBuffer(plaintext)) throw new KeyringError('only bytes can be sealed');
    const header = Buffer.concat([Buffer.from([keyringFormatVersion]), Buffer.from(this.current.id, 'hex')]);
    const iv = randomBytes(ivLengthBytes);
    const cipher = createCipheriv(cipherName, this.subkey(this.current, purpose), iv, {
      authTagLength: tagLengthBytes,
    });
    cipher.setAAD(additionalData(header, purpose, context));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, iv, cipher.getAuthTag(), ciphertext]);
  }

  /** Opens a blob sealed for this purpose and context; throws KeyringError if any of the three does not match. */
  open(purpose: KeyPurpose, context: string, sealed: Buffer): Buffer {
    assertContext(context);
    if (!Buffer.isBuffer(sealed) || sealed.length < sealedLengthMin) {
      throw new KeyringError('sealed value is too short');
    }
    if (sealed[0] !== keyringFormatVersion) throw new KeyringError('sealed value has an unknown format version');
    const keyId = sealedKeyId(sealed)!;
    const key = this.byId.get(keyId);
    if (!key) throw new KeyringError(`sealed under key ${keyId}, which is neither the current nor a previous key`);
    const header = sealed.subarray(0, headerLengthBytes);
    const iv = sealed.subarray(headerLengthBytes, headerLengthBytes + ivLengthBytes);
    const tag = sealed.subarray(headerLengthBytes + ivLengthBytes, sealedLengthMin);
    try {
      const decipher = createDecipheriv(cipherName, this.subkey(key, purpose), iv, { authTagLength: tagLengthBytes });
      decipher.setAAD(additionalData(header, purpose, context));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(sealed.subarray(sealedLengthMin)), decipher.final()]);
    } catch {
      throw new KeyringError('sealed value failed authentication (altered, or sealed for another purpose or row)');
    }
  }

  private subkey(key: RingKey, purpose: KeyPurpose): KeyObject {
    let subkey = key.subkeys.get(purpose);
    if (!subkey) {
      subkey = createSecretKey(
        Buffer.from(hkdfSync('sha256', key.root, Buffer.alloc(0), subkeyInfoPrefix + purpose, keyLengthBytes)),
      );
      key.subkeys.set(purpose, subkey);
    }
    return subkey;
  }
}
