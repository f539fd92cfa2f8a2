const keyLengthBytes = 32; // AES-256 and HMAC-SHA-256 keys alike
const hexKeyPattern = /^[0-9a-fA-F]{64}$/;
const base64KeyPattern = /^[A-Za-z0-9+/]{43}=?$/;

/** Errors here never carry the key: messages are fixed texts. */
export class KeyTextError extends Error {
  override readonly name = 'KeyTextError';
}

/**
 * A 32-byte key from configuration (CARD_VAULT_KEY, its previous keys, FINGERPRINT_KEY): 64 hex characters, or
 * standard base64 of 32 bytes (as printed by `openssl rand -hex 32` or `openssl rand -base64 32`). Surrounding
 * white space, such as the newline at the end of a key file, is ignored; anything else is refused rather than
 * guessed at.
 */
export function parseKeyText(value: string): Buffer {
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
  throw new KeyTextError(`the key must be 64 hex characters or the base64 of ${keyLengthBytes} bytes`);
}
