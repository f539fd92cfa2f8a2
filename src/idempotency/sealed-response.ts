import type { Keyring } from '../common/crypto/keyring';

const purpose = 'idempotent response';

/** Scope and key as one unambiguous text: JSON, so no (scope, key) pair reads as another. */
function contextOf(scope: string, key: string): string {
  if (typeof scope !== 'string' || scope === '' || typeof key !== 'string' || key === '') {
    throw new TypeError('an idempotent response is sealed under a non-empty scope and key');
  }
  return JSON.stringify([scope, key]);
}

/**
 * The stored response body of an idempotent request, encrypted (it may hold a secret shown once, such as an API
 * key or a webhook signing secret) and bound to its scope and key, so that it replays for that request only.
 */
export function sealResponseBody(keyring: Keyring, scope: string, key: string, body: unknown): Buffer {
  const plaintext = Buffer.from(JSON.stringify(body ?? null), 'utf8');
  try {
    return keyring.seal(purpose, contextOf(scope, key), plaintext);
  } finally {
    plaintext.fill(0);
  }
}

/**
 * The body sealResponseBody stored for this scope and key. Throws KeyringError (a fixed text, no data) when the
 * blob was altered, belongs to another scope or key, or was sealed under a key no longer configured.
 */
export function openResponseBody(keyring: Keyring, scope: string, key: string, sealed: Buffer): unknown {
  const plaintext = keyring.open(purpose, contextOf(scope, key), sealed);
  try {
    return JSON.parse(plaintext.toString('utf8')) as unknown;
  } finally {
    plaintext.fill(0);
  }
}
