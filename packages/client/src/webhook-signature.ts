import { createHmac, timingSafeEqual } from 'node:crypto';

// API.md: `Payments-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, keyed with
// the whole secret string as returned (`whsec_…`). During a secret rotation a header may carry several v1
// entries; a receiver accepts the delivery when any of them matches. The app signs in
// src/webhooks/webhook-signature.ts; test/webhook-signature.spec.ts checks that this accepts what it signs.

export const webhookSignatureHeaderName = 'Payments-Signature';

// Five minutes absorbs clock drift and a slow delivery while keeping a captured request from being
// replayed much later.
export const webhookToleranceSecondsDefault = 300;

// A real header is about 80 characters per signature; the bound keeps a hostile header from costing more
// than a few dozen HMAC comparisons.
const headerLengthMax = 4096;

const timestampPattern = /^[0-9]{1,15}$/;
const signaturePattern = /^[0-9a-fA-F]{64}$/;

interface ParsedHeader {
  /** As received: the signature covers this text, not a re-formatted number. */
  timestampText: string;
  timestampSeconds: number;
  signatures: Buffer[];
}

function parseHeader(header: string): ParsedHeader | undefined {
  if (header.length > headerLengthMax) {
    return undefined;
  }
  let timestampText: string | undefined;
  const signatures: Buffer[] = [];
  for (const item of header.split(',')) {
    const separator = item.indexOf('=');
    if (separator <= 0) {
      return undefined;
    }
    const key = item.slice(0, separator).trim();
    const value = item.slice(separator + 1).trim();
    if (key === 't') {
      // Two timestamps would leave it open which one was signed.
      if (timestampText !== undefined || !timestampPattern.test(value)) {
        return undefined;
      }
      timestampText = value;
    } else if (key === 'v1') {
      if (!signaturePattern.test(value)) {
        return undefined;
      }
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (a future v2) are ignored, so that adding one does not break existing receivers.
  }
  if (timestampText === undefined || signatures.length === 0) {
    return undefined;
  }
  return { timestampText, timestampSeconds: Number(timestampText), signatures };
}

export interface VerifyWebhookSignatureInput {
  /** The Payments-Signature header as received. */
  header: string | null | undefined;
  /** The body exactly as received, before any JSON parsing: re-serialized JSON would not match. */
  rawBody: string | Uint8Array;
  /** The endpoint's secret, `whsec_…`. */
  secret: string;
  /** How far the header's timestamp may be from now, either way (default 300). */
  toleranceSeconds?: number;
  /** The receiver's clock (default Date.now()). */
  nowSeconds?: number;
}

/**
 * True when the header is well formed, its timestamp is within toleranceSeconds of now (either way), and
 * one of its v1 signatures is the HMAC of "<t>.<rawBody>" under the secret. Never throws for bad input.
 */
export function verifyWebhookSignature(input: VerifyWebhookSignatureInput): boolean {
  const {
    header,
    rawBody,
    secret,
    toleranceSeconds = webhookToleranceSecondsDefault,
    nowSeconds = Math.floor(Date.now() / 1000),
  } = input;
  if (typeof header !== 'string' || typeof secret !== 'string' || secret.length === 0) {
    return false;
  }
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
    return false;
  }
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0 || !Number.isFinite(nowSeconds)) {
    return false;
  }
  const parsed = parseHeader(header);
  if (parsed === undefined || Math.abs(nowSeconds - parsed.timestampSeconds) > toleranceSeconds) {
    return false;
  }
  const expected = createHmac('sha256', secret).update(`${parsed.timestampText}.`, 'utf8').update(rawBody).digest();
  let matched = false;
  // Every entry is compared, in constant time, so that timing says nothing about which one matched.
  for (const signature of parsed.signatures) {
    if (timingSafeEqual(signature, expected)) {
      matched = true;
    }
  }
  return matched;
}
