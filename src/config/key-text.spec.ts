import { randomBytes } from 'node:crypto';
import { KeyTextError, parseKeyText } from './key-text';

describe('parseKeyText', () => {
  const key = Buffer.from(Array.from({ length: 32 }, (_, index) => index));
  const hex = key.toString('hex');
  const base64 = key.toString('base64');

  it('reads 64 hex characters, in either case', () => {
    expect(parseKeyText(hex).equals(key)).toBe(true);
    expect(parseKeyText(hex.toUpperCase()).equals(key)).toBe(true);
  });

  it('reads base64 of 32 bytes, with or without the padding', () => {
    expect(parseKeyText(base64).equals(key)).toBe(true);
    expect(parseKeyText(base64.replace(/=$/, '')).equals(key)).toBe(true);
  });

  it('reads any random key printed either way', () => {
    for (let index = 0; index < 100; index += 1) {
      const random = randomBytes(32);
      expect(parseKeyText(random.toString('hex')).equals(random)).toBe(true);
      expect(parseKeyText(random.toString('base64')).equals(random)).toBe(true);
    }
  });

  it('ignores surrounding white space such as the newline of a key file', () => {
    expect(parseKeyText(`${hex}\n`).equals(key)).toBe(true);
    expect(parseKeyText(`  ${base64}\r\n`).equals(key)).toBe(true);
  });

  it.each([
    ['an empty value', ''],
    ['63 hex characters', hex.slice(0, 63)],
    ['65 hex characters', `${hex}0`],
    ['a non-hex character', `${hex.slice(0, 63)}g`],
    ['hex with a 0x prefix', `0x${hex}`],
    ['base64 of 31 bytes', randomBytes(31).toString('base64')],
    ['base64 of 33 bytes', randomBytes(33).toString('base64')],
    ['base64url', Buffer.from(Array.from({ length: 32 }, () => 0xfb)).toString('base64url')],
    ['base64 with two padding characters', `${base64.slice(0, 43)}==`],
    ['a passphrase', 'correct horse battery staple'],
    // The last character carries 4 bits of the key and 2 unused bits: a set unused bit is not the canonical text.
    ['base64 whose unused trailing bits are set', 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9='],
  ])('refuses %s', (_case, value) => {
    expect(() => parseKeyText(value)).toThrow(KeyTextError);
  });

  it.each([undefined, null, 42, key])('refuses the non-string %p', (value) => {
    expect(() => parseKeyText(value as unknown as string)).toThrow(KeyTextError);
  });
});
