import fc from 'fast-check';
import { signWebhookPayload } from '../../../src/webhooks/webhook-signature';
import {
  type VerifyWebhookSignatureInput,
  verifyWebhookSignature,
  webhookSignatureHeaderName,
  webhookToleranceSecondsDefault,
} from '../src';

const secret = 'whsec_5f3c9a1e7b2d4c6a8e0f1b3d5a7c9e1f';
const rawBody = '{"id":"evt_1","type":"payment.succeeded"}';
const timestampSeconds = 1_700_000_000;
// Computed independently: printf '%s' '1700000000.<body>' | openssl dgst -sha256 -hmac '<secret>'
const knownSignature = '742a88ed06562c10dfb8e74cf40645921759c4f1121a08208b676fffa58173b4';
const validHeader = `t=${timestampSeconds},v1=${knownSignature}`;

const verify = (overrides: Partial<VerifyWebhookSignatureInput> = {}): boolean =>
  verifyWebhookSignature({ header: validHeader, rawBody, secret, nowSeconds: timestampSeconds, ...overrides });

describe('verifyWebhookSignature', () => {
  it('accepts a valid signature', () => {
    expect(verify()).toBe(true);
  });

  it('names the header of API.md', () => {
    expect(webhookSignatureHeaderName).toBe('Payments-Signature');
  });

  it("accepts what the app's signWebhookPayload produces, for any body, secret and time", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.string({ minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 4_000_000_000 }),
        (body, anySecret, timestamp) => {
          const header = signWebhookPayload(anySecret, body, timestamp);
          expect(verifyWebhookSignature({ header, rawBody: body, secret: anySecret, nowSeconds: timestamp })).toBe(
            true,
          );
          expect(
            verifyWebhookSignature({ header, rawBody: `${body} `, secret: anySecret, nowSeconds: timestamp }),
          ).toBe(false);
        },
      ),
    );
  });

  it('accepts the raw body as bytes', () => {
    expect(verify({ rawBody: Buffer.from(rawBody) })).toBe(true);
    expect(verify({ rawBody: new Uint8Array(Buffer.from(rawBody)) })).toBe(true);
  });

  it('rejects a tampered body', () => {
    expect(verify({ rawBody: rawBody.replace('succeeded', 'failed') })).toBe(false);
    expect(verify({ rawBody: `${rawBody}\n` })).toBe(false);
    expect(verify({ rawBody: '' })).toBe(false);
    // Re-serialized JSON is not the raw body.
    expect(verify({ rawBody: JSON.stringify(JSON.parse(rawBody), null, 2) })).toBe(false);
  });

  it('rejects a wrong secret', () => {
    expect(verify({ secret: 'whsec_other' })).toBe(false);
    expect(verify({ secret: secret.slice('whsec_'.length) })).toBe(false);
    expect(verify({ secret: '' })).toBe(false);
  });

  it('rejects a signature moved to another timestamp', () => {
    const header = `t=${timestampSeconds + 1},v1=${knownSignature}`;
    expect(verify({ header, nowSeconds: timestampSeconds + 1 })).toBe(false);
  });

  it('signs the timestamp as written, so a re-formatted one does not match', () => {
    expect(verify({ header: `t=0${timestampSeconds},v1=${knownSignature}` })).toBe(false);
  });

  describe('timestamp tolerance', () => {
    it.each([
      ['now', 0, true],
      ['299 s old', 299, true],
      ['exactly 300 s old', 300, true],
      ['301 s old', 301, false],
      ['a day old', 86_400, false],
      ['299 s in the future', -299, true],
      ['exactly 300 s in the future', -300, true],
      ['301 s in the future', -301, false],
      ['a day in the future', -86_400, false],
    ])('%s: %p', (_case, ageSeconds, expected) => {
      expect(verify({ nowSeconds: timestampSeconds + ageSeconds })).toBe(expected);
    });

    it('defaults to 300 s', () => {
      expect(webhookToleranceSecondsDefault).toBe(300);
    });

    it('honours a custom tolerance', () => {
      expect(verify({ nowSeconds: timestampSeconds + 10, toleranceSeconds: 10 })).toBe(true);
      expect(verify({ nowSeconds: timestampSeconds + 11, toleranceSeconds: 10 })).toBe(false);
      expect(verify({ nowSeconds: timestampSeconds + 1, toleranceSeconds: 0 })).toBe(false);
      expect(verify({ toleranceSeconds: 0 })).toBe(true);
    });

    it('works with a fractional clock', () => {
      expect(verify({ nowSeconds: timestampSeconds + 299.9 })).toBe(true);
      expect(verify({ nowSeconds: timestampSeconds + 300.1 })).toBe(false);
    });

    it('uses the real clock by default', () => {
      const now = Math.floor(Date.now() / 1000);
      const header = signWebhookPayload(secret, rawBody, now);
      expect(verifyWebhookSignature({ header, rawBody, secret })).toBe(true);
      expect(verifyWebhookSignature({ header: validHeader, rawBody, secret })).toBe(false);
    });

    it.each([
      ['a negative tolerance', { toleranceSeconds: -1 }],
      ['a NaN tolerance', { toleranceSeconds: Number.NaN }],
      ['an infinite tolerance', { toleranceSeconds: Number.POSITIVE_INFINITY }],
      ['a NaN clock', { nowSeconds: Number.NaN }],
    ])('fails closed on %s', (_case, overrides) => {
      expect(verify(overrides)).toBe(false);
    });
  });

  describe('several signatures', () => {
    const wrong = 'a'.repeat(64);

    it.each([
      ['the matching one first', `t=${timestampSeconds},v1=${knownSignature},v1=${wrong}`],
      ['the matching one last', `t=${timestampSeconds},v1=${wrong},v1=${knownSignature}`],
      ['the timestamp last', `v1=${wrong},v1=${knownSignature},t=${timestampSeconds}`],
      ['an unknown scheme beside them', `t=${timestampSeconds},v0=abc,v1=${knownSignature},v2=zzz`],
      ['spaces after the commas', `t=${timestampSeconds}, v1=${wrong}, v1=${knownSignature}`],
      ['upper-case hex', `t=${timestampSeconds},v1=${knownSignature.toUpperCase()}`],
    ])('accepts %s', (_case, header) => {
      expect(verify({ header })).toBe(true);
    });

    it('rejects when none matches', () => {
      expect(verify({ header: `t=${timestampSeconds},v1=${wrong},v1=${'b'.repeat(64)}` })).toBe(false);
    });
  });

  describe('malformed headers', () => {
    it.each([
      ['an empty header', ''],
      ['only a timestamp', `t=${timestampSeconds}`],
      ['only a signature', `v1=${knownSignature}`],
      ['only another scheme', `t=${timestampSeconds},v0=${knownSignature}`],
      ['two timestamps', `t=${timestampSeconds},t=${timestampSeconds},v1=${knownSignature}`],
      ['an empty timestamp', `t=,v1=${knownSignature}`],
      ['a negative timestamp', `t=-${timestampSeconds},v1=${knownSignature}`],
      ['a fractional timestamp', `t=${timestampSeconds}.0,v1=${knownSignature}`],
      ['an exponent timestamp', `t=1.7e9,v1=${knownSignature}`],
      ['an ISO timestamp', `t=2023-11-14T22:13:20Z,v1=${knownSignature}`],
      ['a huge timestamp', `t=${'9'.repeat(20)},v1=${knownSignature}`],
      ['a short signature', `t=${timestampSeconds},v1=${knownSignature.slice(0, 63)}`],
      ['a long signature', `t=${timestampSeconds},v1=${knownSignature}0`],
      ['a truncated signature', `t=${timestampSeconds},v1=${knownSignature.slice(0, 32)}`],
      ['a non-hex signature', `t=${timestampSeconds},v1=${'z'.repeat(64)}`],
      ['a base64 signature', `t=${timestampSeconds},v1=${Buffer.from(knownSignature, 'hex').toString('base64')}`],
      ['a valid signature beside a malformed one', `t=${timestampSeconds},v1=${knownSignature},v1=xyz`],
      ['an empty signature', `t=${timestampSeconds},v1=`],
      ['an item without "="', `t=${timestampSeconds},v1=${knownSignature},garbage`],
      ['an item without a key', `t=${timestampSeconds},=${knownSignature}`],
      ['a trailing comma', `${validHeader},`],
      ['semicolons instead of commas', `t=${timestampSeconds};v1=${knownSignature}`],
      ['upper-case keys', `T=${timestampSeconds},V1=${knownSignature}`],
      ['the header name inside the value', `Payments-Signature: ${validHeader}`],
      ['an oversized header', `${validHeader}${`,v0=${'a'.repeat(64)}`.repeat(100)}`],
    ])('rejects %s', (_case, header) => {
      expect(verify({ header })).toBe(false);
    });

    it.each([
      ['undefined', undefined],
      ['null', null],
      ['an array of headers', [validHeader]],
      ['a number', 42],
    ])('rejects a header that is %s', (_case, header) => {
      expect(verify({ header: header as unknown as string })).toBe(false);
    });

    it('rejects a body that is neither text nor bytes', () => {
      expect(verify({ rawBody: JSON.parse(rawBody) as string })).toBe(false);
      expect(verify({ rawBody: undefined as unknown as string })).toBe(false);
    });

    it('never throws, whatever the header', () => {
      fc.assert(
        fc.property(fc.string({ maxLength: 300 }), (header) => {
          expect(verify({ header })).toBe(false);
        }),
      );
    });
  });
});
