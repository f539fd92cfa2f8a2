import { Keyring, KeyringError, sealedKeyId } from '../common/crypto/keyring';
import { openResponseBody, sealResponseBody } from './sealed-response';

const keyA = Buffer.alloc(32, 0x0a);
const keyB = Buffer.alloc(32, 0x0b);
const body = { id: 'mer_1', object: 'merchant', api_key: 'sk_test_abcdefghijklmnopqrstuvwx', nested: [1, null, 'é'] };

describe('sealResponseBody and openResponseBody', () => {
  it('round-trip JSON bodies: objects, arrays, strings, numbers and null', () => {
    const keyring = new Keyring(keyA);
    for (const value of [body, [1, 2], 'text', 42, null, { error: { type: 'invalid_request_error' } }]) {
      expect(openResponseBody(keyring, 'mer_1', 'key-1', sealResponseBody(keyring, 'mer_1', 'key-1', value))).toEqual(
        value,
      );
    }
  });

  it('store an undefined body as null, as a JSON column would', () => {
    const keyring = new Keyring(keyA);
    expect(openResponseBody(keyring, 'mer_1', 'k', sealResponseBody(keyring, 'mer_1', 'k', undefined))).toBeNull();
  });

  it('never hold the body in the clear', () => {
    const sealed = sealResponseBody(new Keyring(keyA), 'mer_1', 'key-1', body);
    expect(sealed.toString('latin1')).not.toContain('sk_test_');
    expect(sealed.toString('base64')).not.toContain(Buffer.from('sk_test_').toString('base64').slice(0, 8));
  });

  it('open only for the scope and key it was sealed for', () => {
    const keyring = new Keyring(keyA);
    const sealed = sealResponseBody(keyring, 'mer_1', 'key-1', body);
    expect(() => openResponseBody(keyring, 'mer_2', 'key-1', sealed)).toThrow(KeyringError);
    expect(() => openResponseBody(keyring, 'mer_1', 'key-2', sealed)).toThrow(KeyringError);
    // Joined naively, ('mer_1', 'x-key') and ('mer_1x', '-key') could be the same text; as JSON they are not.
    const joined = sealResponseBody(keyring, 'a', 'bc', body);
    expect(() => openResponseBody(keyring, 'ab', 'c', joined)).toThrow(KeyringError);
  });

  it('do not open a blob sealed for another purpose with the same context', () => {
    const keyring = new Keyring(keyA);
    const other = keyring.seal('webhook secret', JSON.stringify(['mer_1', 'key-1']), Buffer.from(JSON.stringify(body)));
    expect(() => openResponseBody(keyring, 'mer_1', 'key-1', other)).toThrow(KeyringError);
  });

  it('seal under the current key and open what a previous key sealed', () => {
    const sealedByA = sealResponseBody(new Keyring(keyA), 'operator', 'key-1', body);
    const rotated = new Keyring(keyB, [keyA]);
    expect(openResponseBody(rotated, 'operator', 'key-1', sealedByA)).toEqual(body);
    expect(sealedKeyId(sealResponseBody(rotated, 'operator', 'key-1', body))).toBe(rotated.currentKeyId);
    expect(() => openResponseBody(new Keyring(keyB), 'operator', 'key-1', sealedByA)).toThrow(KeyringError);
  });

  it('refuse an empty scope or key', () => {
    const keyring = new Keyring(keyA);
    expect(() => sealResponseBody(keyring, '', 'key-1', body)).toThrow(TypeError);
    expect(() => sealResponseBody(keyring, 'mer_1', '', body)).toThrow(TypeError);
  });
});
