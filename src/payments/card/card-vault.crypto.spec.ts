import { createHash, createHmac, randomBytes } from 'node:crypto';
import { keyIdOf, Keyring, sealedKeyId } from '../../common/crypto/keyring';
import {
  CardVaultError,
  cardFingerprint,
  decryptCardSecret,
  encryptCardSecret,
  openCardSecret,
  sealCardSecret,
} from './card-vault.crypto';

const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const otherKey = Buffer.from('1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100', 'hex');
const card = { number: '4242424242424242', cvc: '123' };
const headerLengthBytes = 1 + 12 + 16;

describe('encryptCardSecret and decryptCardSecret', () => {
  it('round-trips a card with and without a CVC', () => {
    expect(decryptCardSecret(encryptCardSecret(card, key), key)).toEqual(card);
    const withoutCvc = { number: '378282246310005', cvc: null };
    expect(decryptCardSecret(encryptCardSecret(withoutCvc, key), key)).toEqual(withoutCvc);
    const fourDigitCvc = { number: '4000000000000000006', cvc: '1234' };
    expect(decryptCardSecret(encryptCardSecret(fourDigitCvc, key), key)).toEqual(fourDigitCvc);
  });

  it('uses the documented layout: version 1, 12-byte IV, 16-byte tag, then the ciphertext', () => {
    const sealed = encryptCardSecret(card, key);
    expect(sealed[0]).toBe(1);
    expect(sealed.length).toBeGreaterThan(headerLengthBytes);
    // GCM is a stream mode: the ciphertext is as long as the plaintext.
    expect(sealed.length - headerLengthBytes).toBe(JSON.stringify(card).length);
  });

  it('never contains the number or the CVC in the clear', () => {
    const sealed = encryptCardSecret(card, key);
    expect(sealed.includes(Buffer.from(card.number))).toBe(false);
    expect(sealed.toString('latin1')).not.toContain('4242');
    expect(sealed.toString('base64')).not.toContain(Buffer.from(card.number).toString('base64'));
  });

  it('gives a different sealed value, and IV, every time', () => {
    const seen = new Set<string>();
    const ivs = new Set<string>();
    for (let index = 0; index < 200; index += 1) {
      const sealed = encryptCardSecret(card, key);
      seen.add(sealed.toString('hex'));
      ivs.add(sealed.subarray(1, 13).toString('hex'));
    }
    expect(seen.size).toBe(200);
    expect(ivs.size).toBe(200);
  });

  it('fails when any single byte is altered', () => {
    const sealed = encryptCardSecret(card, key);
    for (let index = 0; index < sealed.length; index += 1) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const tampered = Buffer.from(sealed);
        tampered[index] = (tampered[index] ?? 0) ^ flip;
        expect(() => decryptCardSecret(tampered, key)).toThrow(CardVaultError);
      }
    }
  });

  it('fails when bytes are cut off or added', () => {
    const sealed = encryptCardSecret(card, key);
    for (let length = 0; length < sealed.length; length += 1) {
      expect(() => decryptCardSecret(sealed.subarray(0, length), key)).toThrow(CardVaultError);
    }
    expect(() => decryptCardSecret(Buffer.concat([sealed, Buffer.from([0])]), key)).toThrow(CardVaultError);
  });

  it('fails under another key', () => {
    const sealed = encryptCardSecret(card, key);
    expect(() => decryptCardSecret(sealed, otherKey)).toThrow(/failed authentication/);
    expect(() => decryptCardSecret(sealed, randomBytes(32))).toThrow(CardVaultError);
  });

  it('fails when the IV or the tag of another entry is swapped in', () => {
    const first = encryptCardSecret(card, key);
    const second = encryptCardSecret(card, key);
    const mixedIv = Buffer.concat([first.subarray(0, 1), second.subarray(1, 13), first.subarray(13)]);
    const mixedTag = Buffer.concat([first.subarray(0, 13), second.subarray(13, 29), first.subarray(29)]);
    expect(() => decryptCardSecret(mixedIv, key)).toThrow(CardVaultError);
    expect(() => decryptCardSecret(mixedTag, key)).toThrow(CardVaultError);
  });

  it('refuses an unknown format version', () => {
    const sealed = encryptCardSecret(card, key);
    sealed[0] = 2;
    expect(() => decryptCardSecret(sealed, key)).toThrow(/unknown format version/);
  });

  it('keeps card data out of error messages', () => {
    const sealed = encryptCardSecret(card, key);
    try {
      decryptCardSecret(sealed, otherKey);
      throw new Error('expected a failure');
    } catch (error) {
      expect(String(error)).not.toContain('4242');
      expect(String(error)).not.toContain('123');
    }
    expect(() => encryptCardSecret({ number: '4242 4242 4242 4242', cvc: '123' }, key)).toThrow(
      /^card number must be 12 to 19 digits$/,
    );
  });

  it.each([
    ['a short key', Buffer.alloc(16)],
    ['a long key', Buffer.alloc(33)],
    ['an empty key', Buffer.alloc(0)],
    ['a string key', '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'],
  ])('refuses %s', (_case, badKey) => {
    expect(() => encryptCardSecret(card, badKey as Buffer)).toThrow(/32 bytes/);
    expect(() => decryptCardSecret(encryptCardSecret(card, key), badKey as Buffer)).toThrow(/32 bytes/);
    expect(() => cardFingerprint(card.number, badKey as Buffer)).toThrow(/32 bytes/);
  });

  it.each([
    ['a number with spaces', { number: '4242 4242 4242 4242', cvc: '123' }],
    ['a short number', { number: '42424242', cvc: '123' }],
    ['a numeric number', { number: 4242424242424242, cvc: '123' }],
    ['a two-digit CVC', { number: '4242424242424242', cvc: '12' }],
    ['a five-digit CVC', { number: '4242424242424242', cvc: '12345' }],
    ['a letter CVC', { number: '4242424242424242', cvc: 'abc' }],
    ['a missing CVC', { number: '4242424242424242' }],
    ['no object', null],
  ])('refuses to seal %s', (_case, value) => {
    expect(() => encryptCardSecret(value as never, key)).toThrow(CardVaultError);
  });

  it('refuses a sealed value that is not a Buffer', () => {
    const sealed = encryptCardSecret(card, key);
    expect(() => decryptCardSecret(sealed.toString('base64') as unknown as Buffer, key)).toThrow(CardVaultError);
  });
});

describe('sealCardSecret and openCardSecret', () => {
  const token = 'cv_first';

  it('seal format 2 under the current key, naming it, and round-trip with and without a CVC', () => {
    const keyring = new Keyring(key, [otherKey]);
    const sealed = sealCardSecret(keyring, token, card);
    expect(sealed[0]).toBe(2);
    expect(sealedKeyId(sealed)).toBe(keyIdOf(key));
    expect(openCardSecret(keyring, token, sealed)).toEqual(card);
    const withoutCvc = { number: card.number, cvc: null };
    expect(openCardSecret(keyring, token, sealCardSecret(keyring, token, withoutCvc))).toEqual(withoutCvc);
    expect(sealed.includes(Buffer.from(card.number))).toBe(false);
  });

  it('bind the entry to its token: copied onto another token it does not open', () => {
    const keyring = new Keyring(key);
    const sealed = sealCardSecret(keyring, token, card);
    expect(() => openCardSecret(keyring, 'cv_second', sealed)).toThrow(CardVaultError);
    expect(() => openCardSecret(keyring, 'cv_second', sealed)).toThrow(/failed authentication/);
  });

  it('open format 2 sealed under a previous key, but not once that key is gone', () => {
    const sealedBefore = sealCardSecret(new Keyring(otherKey), token, card);
    expect(openCardSecret(new Keyring(key, [otherKey]), token, sealedBefore)).toEqual(card);
    expect(() => openCardSecret(new Keyring(key), token, sealedBefore)).toThrow(
      new RegExp(`${keyIdOf(otherKey)}, which is neither the current nor a previous key`),
    );
  });

  it('open format 1 entries (no key id, sealed directly under the vault key) under the current or a previous key', () => {
    const legacy = encryptCardSecret(card, otherKey);
    expect(sealedKeyId(legacy)).toBeNull();
    expect(openCardSecret(new Keyring(otherKey), token, legacy)).toEqual(card);
    expect(openCardSecret(new Keyring(key, [otherKey]), token, legacy)).toEqual(card);
    // Format 1 was never bound to a token: any token opens it, as before.
    expect(openCardSecret(new Keyring(key, [otherKey]), 'cv_any', legacy)).toEqual(card);
    expect(() => openCardSecret(new Keyring(key), token, legacy)).toThrow(/none of the configured vault keys/);
  });

  it('refuse an altered format 1 entry as malformed under every key, and an unknown version', () => {
    const legacy = encryptCardSecret(card, key);
    expect(() => openCardSecret(new Keyring(otherKey, [key]), token, legacy.subarray(0, 20))).toThrow(/too short/);
    const unknown = Buffer.from(legacy);
    unknown[0] = 3;
    expect(() => openCardSecret(new Keyring(key), token, unknown)).toThrow(/unknown format version/);
    expect(() => openCardSecret(new Keyring(key), token, Buffer.alloc(0))).toThrow(CardVaultError);
  });

  it('fail when any single byte of a format 2 entry is altered', () => {
    const keyring = new Keyring(key, [otherKey]);
    const sealed = sealCardSecret(keyring, token, card);
    for (let index = 0; index < sealed.length; index += 1) {
      const tampered = Buffer.from(sealed);
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      expect(() => openCardSecret(keyring, token, tampered)).toThrow(CardVaultError);
    }
  });

  it('keep card data and keys out of error messages', () => {
    const sealed = sealCardSecret(new Keyring(key), token, card);
    for (const attempt of [
      () => openCardSecret(new Keyring(otherKey), token, sealed),
      () => openCardSecret(new Keyring(key), 'cv_second', sealed),
      () => openCardSecret(new Keyring(otherKey), token, encryptCardSecret(card, key)),
    ]) {
      const message = String(
        (() => {
          try {
            attempt();
          } catch (error) {
            return error;
          }
          throw new Error('expected a failure');
        })(),
      );
      expect(message).not.toContain('4242');
      expect(message).not.toContain(card.cvc);
      expect(message).not.toContain(key.toString('hex'));
      expect(message).not.toContain(otherKey.toString('hex'));
    }
  });

  it('refuse to seal what is not a card', () => {
    expect(() => sealCardSecret(new Keyring(key), token, { number: '4242', cvc: null })).toThrow(CardVaultError);
  });
});

describe('cardFingerprint', () => {
  it('is 32 lower-case hex characters', () => {
    expect(cardFingerprint(card.number, key)).toMatch(/^[0-9a-f]{32}$/);
  });

  it('stays the same when the development fingerprint key replaces the development vault key it used to be', () => {
    // Fingerprints were keyed by the vault key before FINGERPRINT_KEY existed; its default is those same bytes, and
    // this is the value the function gave then (commit 6530ace), so existing fingerprints still match new ones.
    const developmentKey = Buffer.alloc(32, 0xde);
    expect(cardFingerprint(card.number, developmentKey)).toBe('fa03d46a2d5d44e2cfc3ab1faebf117a');
  });

  it('is the same for the same card and key', () => {
    expect(cardFingerprint('4242424242424242', key)).toBe(cardFingerprint('4242424242424242', Buffer.from(key)));
  });

  it('differs between cards', () => {
    const fingerprints = new Set(
      ['4242424242424242', '5555555555554444', '4000000000000002', '4000000000009995', '4000000000000119'].map(
        (number) => cardFingerprint(number, key),
      ),
    );
    expect(fingerprints.size).toBe(5);
  });

  it('depends on the key', () => {
    expect(cardFingerprint(card.number, key)).not.toBe(cardFingerprint(card.number, otherKey));
  });

  it('is not a plain hash of the number', () => {
    const fingerprint = cardFingerprint(card.number, key);
    expect(createHash('sha256').update(card.number).digest('hex')).not.toContain(fingerprint);
    // Nor an HMAC under the raw vault key: the fingerprint key is derived from it.
    expect(createHmac('sha256', key).update(card.number).digest('hex')).not.toContain(fingerprint);
  });

  it.each(['4242 4242 4242 4242', '', '42', 'abcdabcdabcdabcd'])('refuses %j', (number) => {
    expect(() => cardFingerprint(number, key)).toThrow(CardVaultError);
  });
});
