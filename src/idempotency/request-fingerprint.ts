import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';

/** JSON with object keys sorted at every depth, so `{a,b}` and `{b,a}` are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The key of request fingerprints, derived from FINGERPRINT_KEY; a KeyObject, made once (see requestFingerprint). */
export function fingerprintKey(secret: Buffer): KeyObject {
  return createSecretKey(
    Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'idempotency-request-fingerprint', 32)),
  );
}

/**
 * A keyed hash of method, path and canonical body. Keyed, because a payment body holds a card number and a
 * plain hash of it could be brute-forced from the stored fingerprint.
 */
export function requestFingerprint(key: KeyObject | Buffer, method: string, path: string, body: unknown): string {
  return createHmac('sha256', key)
    .update(`${method.toUpperCase()} ${path}\n${canonicalJson(body ?? null)}`)
    .digest('hex');
}
