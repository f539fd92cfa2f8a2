import { createHmac } from 'node:crypto';

// API.md: `Payments-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, keyed with
// the whole secret string as returned (`whsec_…`). Receivers verify with the client package's
// verifyWebhookSignature (packages/client/src/webhook-signature.ts), whose tests check it accepts what this signs.

export const webhookSignatureHeaderName = 'Payments-Signature';

/** The value of the Payments-Signature header for a delivery of rawBody at timestampSeconds. */
export function signWebhookPayload(secret: string, rawBody: string | Uint8Array, timestampSeconds: number): string {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new TypeError('a webhook secret is required');
  }
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
    throw new TypeError('the raw body must be a string or bytes');
  }
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) {
    throw new RangeError(`timestampSeconds must be a non-negative integer, got ${String(timestampSeconds)}`);
  }
  const signature = createHmac('sha256', secret).update(`${timestampSeconds}.`, 'utf8').update(rawBody).digest('hex');
  return `t=${timestampSeconds},v1=${signature}`;
}
