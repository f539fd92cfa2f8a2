import { createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { type KeyPurpose, keyIdOf, Keyring, KeyringError, keyringFormatVersion, sealedKeyId } from './keyring';

const keyA = Buffer.alloc(32, 0xa1);
const keyB = Buffer.alloc(32, 0xb2);
const keyC = Buffer.alloc(32, 0xc3);
const plaintext = Buffer.from('whsec_the-secret-value', 'utf8');
const headerLengthBytes = 1 + 4;
const sealedOverheadBytes = headerLengthBytes + 12 + 16;

describe('keyIdOf', () => {
  it('is 8 lower-case hex characters, the same for the same key and different between keys', () => {
    expect(keyIdOf(keyA)).toMatch(/^[0-9a-f]{8}$/);
    expect(keyIdOf(Buffer.from(keyA))).toBe(keyIdOf(keyA));
    const ids = new Set(Array.from({ length: 200 }, () => keyIdOf(randomBytes(32))));
    expect(ids.size).toBe(200);
  });

  it('is not a part of the key nor of a plain hash or HMAC of it', () => {
    const key = randomBytes(32);
    const id = keyIdOf(key);
    expect(key.toString('hex')).not.toContain(id);
    expect(createHmac('sha256', key).update('key id').digest('hex')).not.toContain(id);
  });

  it.each([Buffer.alloc(16), Buffer.alloc(33), 'a'.repeat(32)])('refuses a key that is not 32 bytes: %p', (key) => {
    expect(() => keyIdOf(key as Buffer)).toThrow(KeyringError);
  });
});

describe('Keyring', () => {
  it('round-trips bytes for every purpose, empty bytes included', () => {
    const ring = new Keyring(keyA);
    for (const purpose of ['card vault', 'webhook secret', 'idempotent response'] as KeyPurpose[]) {
      expect(ring.open(purpose, 'row_1', ring.seal(purpose, 'row_1', plaintext)).equals(plaintext)).toBe(true);
      expect(ring.open(purpose, 'row_1', ring.seal(purpose, 'row_1', Buffer.alloc(0)))).toHaveLength(0);
    }
  });

  it('uses the documented layout: version 2, the key id, a 12-byte IV, a 16-byte tag, then the ciphertext', () => {
    const ring = new Keyring(keyA);
    const sealed = ring.seal('webhook secret', 'we_1', plaintext);
    expect(sealed[0]).toBe(keyringFormatVersion);
    expect(keyringFormatVersion).toBe(2);
    expect(sealed.subarray(1, 5).toString('hex')).toBe(keyIdOf(keyA));
    expect(sealedKeyId(sealed)).toBe(ring.currentKeyId);
    expect(sealed.length).toBe(sealedOverheadBytes + plaintext.length);
    expect(sealed.includes(plaintext)).toBe(false);
  });

  it('gives a different blob and IV every time', () => {
    const ring = new Keyring(keyA);
    const ivs = new Set<string>();
    for (let index = 0; index < 200; index += 1)
      ivs.add(ring.seal('card vault', 'cv_1', plaintext).subarray(5, 17).toString('hex'));
    expect(ivs.size).toBe(200);
  });

  it('seals under a subkey: neither the root key nor another purpose opens the blob', () => {
    const ring = new Keyring(keyA);
    const sealed = ring.seal('webhook secret', 'we_1', plaintext);
    expect(() => ring.open('card vault', 'we_1', sealed)).toThrow(/failed authentication/);
    expect(() => ring.open('idempotent response', 'we_1', sealed)).toThrow(KeyringError);
    // A subkey derived under another purpose's name, with the right additional data, still does not open it.
    const decipher = createDecipheriv('aes-256-gcm', keyA, sealed.subarray(5, 17), { authTagLength: 16 });
    decipher.setAuthTag(sealed.subarray(17, 33));
    decipher.setAAD(Buffer.concat([sealed.subarray(0, 5), Buffer.from('webhook secret\0we_1')]));
    decipher.update(sealed.subarray(33));
    expect(() => decipher.final()).toThrow();
    const subkey = Buffer.from(
      hkdfSync('sha256', keyA, Buffer.alloc(0), 'payments keyring subkey v1: webhook secret', 32),
    );
    const right = createDecipheriv('aes-256-gcm', subkey, sealed.subarray(5, 17), { authTagLength: 16 });
    right.setAuthTag(sealed.subarray(17, 33));
    right.setAAD(Buffer.concat([sealed.subarray(0, 5), Buffer.from('webhook secret\0we_1')]));
    expect(Buffer.concat([right.update(sealed.subarray(33)), right.final()]).equals(plaintext)).toBe(true);
  });

  it('binds a blob to its context: moved to another row it no longer opens', () => {
    const ring = new Keyring(keyA);
    const sealed = ring.seal('card vault', 'cv_first', plaintext);
    expect(() => ring.open('card vault', 'cv_second', sealed)).toThrow(/failed authentication/);
    expect(() => ring.open('card vault', 'cv_firs', sealed)).toThrow(KeyringError);
    expect(() => ring.open('card vault', 'cv_first ', sealed)).toThrow(KeyringError);
  });

  it('fails when any single byte is altered, header included', () => {
    const ring = new Keyring(keyA, [keyB]);
    const sealed = ring.seal('card vault', 'cv_1', plaintext);
    for (let index = 0; index < sealed.length; index += 1) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const tampered = Buffer.from(sealed);
        tampered[index] = (tampered[index] ?? 0) ^ flip;
        expect(() => ring.open('card vault', 'cv_1', tampered)).toThrow(KeyringError);
      }
    }
  });

  it('fails when bytes are cut off or added', () => {
    const ring = new Keyring(keyA);
    const sealed = ring.seal('card vault', 'cv_1', plaintext);
    for (let length = 0; length < sealed.length; length += 1) {
      expect(() => ring.open('card vault', 'cv_1', sealed.subarray(0, length))).toThrow(KeyringError);
    }
    expect(() => ring.open('card vault', 'cv_1', Buffer.concat([sealed, Buffer.from([0])]))).toThrow(KeyringError);
  });

  it('opens what a previous key sealed and seals only under the current key', () => {
    const before = new Keyring(keyA);
    const sealedByA = before.seal('card vault', 'cv_1', plaintext);
    const rotated = new Keyring(keyB, [keyA]);
    expect(rotated.currentKeyId).toBe(keyIdOf(keyB));
    expect(rotated.keyIds).toEqual([keyIdOf(keyB), keyIdOf(keyA)]);
    expect(rotated.open('card vault', 'cv_1', sealedByA).equals(plaintext)).toBe(true);
    const sealedByB = rotated.seal('card vault', 'cv_1', plaintext);
    expect(sealedKeyId(sealedByB)).toBe(keyIdOf(keyB));
    expect(() => before.open('card vault', 'cv_1', sealedByB)).toThrow(/neither the current nor a previous key/);
  });

  it('refuses what a key it does not hold sealed, naming only the key id', () => {
    const sealed = new Keyring(keyA).seal('card vault', 'cv_1', plaintext);
    const error = (() => {
      try {
        new Keyring(keyB, [keyC]).open('card vault', 'cv_1', sealed);
      } catch (failure) {
        return failure as Error;
      }
      throw new Error('expected a failure');
    })();
    expect(error).toBeInstanceOf(KeyringError);
    expect(error.message).toContain(keyIdOf(keyA));
    for (const secret of [keyA, keyB, keyC]) {
      expect(error.message).not.toContain(secret.toString('hex'));
      expect(error.message).not.toContain(secret.toString('base64'));
    }
    expect(error.message).not.toContain('whsec_');
  });

  it('refuses an unknown format version, and a key id that says another key', () => {
    const ring = new Keyring(keyA, [keyB]);
    const sealed = ring.seal('card vault', 'cv_1', plaintext);
    const version1 = Buffer.from(sealed);
    version1[0] = 1;
    expect(() => ring.open('card vault', 'cv_1', version1)).toThrow(/unknown format version/);
    expect(sealedKeyId(version1)).toBeNull();
    const relabeled = Buffer.concat([sealed.subarray(0, 1), Buffer.from(keyIdOf(keyB), 'hex'), sealed.subarray(5)]);
    expect(() => ring.open('card vault', 'cv_1', relabeled)).toThrow(/failed authentication/);
  });

  it('treats a key listed twice as one, and refuses a ring without a valid current key', () => {
    expect(new Keyring(keyA, [keyA, keyB, Buffer.from(keyB)]).keyIds).toEqual([keyIdOf(keyA), keyIdOf(keyB)]);
    expect(() => new Keyring(Buffer.alloc(31))).toThrow(/32 bytes/);
    expect(() => new Keyring(keyA, [Buffer.alloc(0)])).toThrow(/32 bytes/);
  });

  it('gives its root keys, current first, only for formats sealed before it existed', () => {
    const roots = new Keyring(keyB, [keyA]).legacyRootKeys();
    expect(roots.map((key) => key.toString('hex'))).toEqual([keyB.toString('hex'), keyA.toString('hex')]);
  });

  it('refuses an empty context and a plaintext that is not bytes', () => {
    const ring = new Keyring(keyA);
    expect(() => ring.seal('card vault', '', plaintext)).toThrow(KeyringError);
    expect(() => ring.seal('card vault', 'cv_1', 'text' as unknown as Buffer)).toThrow(KeyringError);
    expect(() => ring.open('card vault', '', ring.seal('card vault', 'cv_1', plaintext))).toThrow(KeyringError);
    expect(() => ring.open('card vault', 'cv_1', 'text' as unknown as Buffer)).toThrow(KeyringError);
  });
});
