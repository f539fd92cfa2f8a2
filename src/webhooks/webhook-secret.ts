import type { Keyring } from '../common/crypto/keyring';

const purpose = 'webhook secret';

/** The signing secret as stored: encrypted, and bound to its endpoint so it cannot sign for another one. */
export function sealWebhookSecret(keyring: Keyring, endpointId: string, secret: string): Buffer {
  const plaintext = Buffer.from(secret, 'utf8');
  try {
    return keyring.seal(purpose, endpointId, plaintext);
  } finally {
    plaintext.fill(0);
  }
}

/** Throws KeyringError (a fixed text, no secret) when the blob was altered, moved, or its key is gone. */
export function openWebhookSecret(keyring: Keyring, endpointId: string, sealed: Buffer): string {
  return keyring.open(purpose, endpointId, sealed).toString('utf8');
}
