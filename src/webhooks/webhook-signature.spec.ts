import { signWebhookPayload, webhookSignatureHeaderName } from './webhook-signature';

// Verification is the client package's (packages/client/test/webhook-signature.spec.ts checks both together).

const secret = 'whsec_5f3c9a1e7b2d4c6a8e0f1b3d5a7c9e1f';
const rawBody = '{"id":"evt_1","type":"payment.succeeded"}';
const timestampSeconds = 1_700_000_000;
// Computed independently: printf '%s' '1700000000.<body>' | openssl dgst -sha256 -hmac '<secret>'
const knownSignature = '742a88ed06562c10dfb8e74cf40645921759c4f1121a08208b676fffa58173b4';
const validHeader = `t=${timestampSeconds},v1=${knownSignature}`;

describe('signWebhookPayload', () => {
  it('produces the header of API.md', () => {
    expect(webhookSignatureHeaderName).toBe('Payments-Signature');
    expect(signWebhookPayload(secret, rawBody, timestampSeconds)).toBe(validHeader);
  });

  it('signs bytes the same as the equivalent UTF-8 text', () => {
    const body = '{"description":"Café ☕ 🎉"}';
    expect(signWebhookPayload(secret, Buffer.from(body, 'utf8'), timestampSeconds)).toBe(
      signWebhookPayload(secret, body, timestampSeconds),
    );
  });

  it.each([
    ['an empty secret', '', rawBody, timestampSeconds, TypeError],
    ['a missing body', secret, undefined, timestampSeconds, TypeError],
    ['a body object', secret, { id: 'evt_1' }, timestampSeconds, TypeError],
    ['a negative timestamp', secret, rawBody, -1, RangeError],
    ['a fractional timestamp', secret, rawBody, 1.5, RangeError],
    ['a timestamp in milliseconds beyond the safe range', secret, rawBody, 2 ** 53, RangeError],
    ['NaN', secret, rawBody, Number.NaN, RangeError],
  ])('refuses %s', (_case, badSecret, body, timestamp, errorType) => {
    expect(() => signWebhookPayload(badSecret, body as string, timestamp)).toThrow(errorType);
  });
});
