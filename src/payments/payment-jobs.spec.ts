import { newId } from '../common/ids';
import {
  cardMatchesPayment,
  checkJobTarget,
  expiryDelayMs,
  parsePaymentJob,
  type PaymentJobParse,
  networkRefundJobData,
  paymentJobData,
} from './payment-jobs';
import {
  AUTHORIZE_PAYMENT_JOB,
  EXPIRE_AUTHORIZATION_JOB,
  NETWORK_CAPTURE_JOB,
  NETWORK_REFUND_JOB,
} from './payments.constants';

const paymentId = newId('pay');
const merchantId = newId('mer');
const vaultToken = newId('cv');

function reasonOf(parse: PaymentJobParse): string {
  if (parse.valid) throw new Error('expected a rejection');
  return parse.reason;
}

describe('parsePaymentJob', () => {
  it.each([AUTHORIZE_PAYMENT_JOB, EXPIRE_AUTHORIZATION_JOB])('accepts %s with ids only', (jobName) => {
    expect(parsePaymentJob(jobName, { paymentId, merchantId })).toEqual({
      valid: true,
      target: { paymentId, merchantId },
    });
  });

  it.each([AUTHORIZE_PAYMENT_JOB, EXPIRE_AUTHORIZATION_JOB])('accepts %s without a merchant id', (jobName) => {
    expect(parsePaymentJob(jobName, { paymentId })).toEqual({
      valid: true,
      target: { paymentId, merchantId: null },
    });
  });

  it('accepts jobs queued by older releases and keeps nothing but the payment id', () => {
    expect(parsePaymentJob(AUTHORIZE_PAYMENT_JOB, { paymentId, vaultToken })).toEqual({
      valid: true,
      target: { paymentId, merchantId: null },
    });
    expect(parsePaymentJob(EXPIRE_AUTHORIZATION_JOB, { paymentId, expiresAt: '2020-01-01T00:00:00.000Z' })).toEqual({
      valid: true,
      target: { paymentId, merchantId: null },
    });
  });

  it.each([AUTHORIZE_PAYMENT_JOB, EXPIRE_AUTHORIZATION_JOB])(
    'accepts %s with the traceparent the relay adds',
    (jobName) => {
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      expect(parsePaymentJob(jobName, { paymentId, merchantId, traceparent })).toEqual({
        valid: true,
        target: { paymentId, merchantId },
      });
    },
  );

  it.each<[string, string, unknown]>([
    ['a traceparent that is not one', AUTHORIZE_PAYMENT_JOB, { paymentId, merchantId, traceparent: 'charge me' }],
    [
      'a traceparent of another version',
      EXPIRE_AUTHORIZATION_JOB,
      { paymentId, traceparent: `01-${'a'.repeat(32)}-${'b'.repeat(16)}-01` },
    ],
    ['a traceparent that is a number', AUTHORIZE_PAYMENT_JOB, { paymentId, traceparent: 7 }],
    ['a legacy field beside a merchant id', AUTHORIZE_PAYMENT_JOB, { paymentId, merchantId, vaultToken }],
    ['an expiry beside a merchant id', EXPIRE_AUTHORIZATION_JOB, { paymentId, merchantId, expiresAt: 'x' }],
    ['the other job’s legacy field', EXPIRE_AUTHORIZATION_JOB, { paymentId, vaultToken }],
    ['an expiry on an authorization', AUTHORIZE_PAYMENT_JOB, { paymentId, expiresAt: 'x' }],
    ['an extra field', AUTHORIZE_PAYMENT_JOB, { paymentId, merchantId, amount: 1 }],
    ['a payment id that is not one', AUTHORIZE_PAYMENT_JOB, { paymentId: 'pay_123', merchantId }],
    ['another kind of id as payment id', AUTHORIZE_PAYMENT_JOB, { paymentId: merchantId, merchantId }],
    ['a merchant id that is not one', EXPIRE_AUTHORIZATION_JOB, { paymentId, merchantId: paymentId }],
    ['a number as payment id', AUTHORIZE_PAYMENT_JOB, { paymentId: 42 }],
    ['a legacy token of the wrong type', AUTHORIZE_PAYMENT_JOB, { paymentId, vaultToken: 7 }],
    ['no payment id', EXPIRE_AUTHORIZATION_JOB, { merchantId }],
    ['null data', AUTHORIZE_PAYMENT_JOB, null],
    ['a string', AUTHORIZE_PAYMENT_JOB, paymentId],
    ['an array', EXPIRE_AUTHORIZATION_JOB, [paymentId, merchantId]],
    ['a prototype key', AUTHORIZE_PAYMENT_JOB, JSON.parse(`{"paymentId":"${paymentId}","__proto__":{"x":1}}`)],
  ])('rejects %s', (_case, jobName, data) => {
    expect(parsePaymentJob(jobName, data).valid).toBe(false);
  });

  it.each(['charge-everything', 'constructor', '__proto__', 'toString'])('rejects the job name %s', (jobName) => {
    expect(reasonOf(parsePaymentJob(jobName, { paymentId, merchantId }))).toBe('unknown job name');
  });

  it('gives a bounded reason that never echoes the job data', () => {
    const secret = '4242424242424242';
    const reason = reasonOf(
      parsePaymentJob(AUTHORIZE_PAYMENT_JOB, { paymentId: secret, merchantId: secret, ['x'.repeat(500)]: secret }),
    );
    expect(reason).not.toContain(secret);
    expect(reason.length).toBeLessThanOrEqual(200);
    expect(reason).toMatch(/paymentId/);
  });
});

describe('network jobs', () => {
  const refundId = newId('re');

  it('accepts a network capture naming its payment and merchant, and nothing more', () => {
    expect(parsePaymentJob(NETWORK_CAPTURE_JOB, { paymentId, merchantId })).toEqual({
      valid: true,
      target: { paymentId, merchantId },
    });
    expect(parsePaymentJob(NETWORK_CAPTURE_JOB, { paymentId }).valid).toBe(false);
    expect(parsePaymentJob(NETWORK_CAPTURE_JOB, { paymentId, merchantId, amount: 5 }).valid).toBe(false);
  });

  it('accepts a network refund naming its refund', () => {
    expect(parsePaymentJob(NETWORK_REFUND_JOB, { paymentId, merchantId, refundId })).toEqual({
      valid: true,
      target: { paymentId, merchantId, refundId },
    });
    expect(parsePaymentJob(NETWORK_REFUND_JOB, { paymentId, merchantId }).valid).toBe(false);
    expect(parsePaymentJob(NETWORK_REFUND_JOB, { paymentId, merchantId, refundId: paymentId }).valid).toBe(false);
  });

  it('queues a network refund with its refund id from the outbox row', () => {
    expect(networkRefundJobData({ paymentId, merchantId, refundId, amount: 9 })).toEqual({
      paymentId,
      merchantId,
      refundId,
    });
  });
});

describe('checkJobTarget', () => {
  const row = { merchantId, status: 'processing' };

  it('passes the owner’s payment in the expected status', () => {
    expect(checkJobTarget(row, { paymentId, merchantId }, 'processing')).toBe('ok');
  });

  it('passes a job without a merchant id on the payment’s own owner', () => {
    expect(checkJobTarget(row, { paymentId, merchantId: null }, 'processing')).toBe('ok');
  });

  it('refuses an unknown payment, another merchant, and any other status', () => {
    expect(checkJobTarget(undefined, { paymentId, merchantId }, 'processing')).toBe('unknown_payment');
    expect(checkJobTarget(row, { paymentId, merchantId: newId('mer') }, 'processing')).toBe('wrong_merchant');
    for (const status of ['requires_capture', 'succeeded', 'failed', 'canceled']) {
      expect(checkJobTarget({ merchantId, status }, { paymentId, merchantId }, 'processing')).toBe('already_final');
    }
    expect(checkJobTarget(row, { paymentId, merchantId }, 'requires_capture')).toBe('already_final');
  });

  it('reports another merchant before the status, so a forged job learns nothing about the payment', () => {
    const other = { merchantId: newId('mer'), status: 'succeeded' };
    expect(checkJobTarget(other, { paymentId, merchantId }, 'processing')).toBe('wrong_merchant');
  });
});

describe('paymentJobData', () => {
  it('keeps the ids and leaves a vault token or an expiry in the outbox row', () => {
    expect(paymentJobData({ paymentId, merchantId, expiresAt: '2030-01-01T00:00:00.000Z' })).toEqual({
      paymentId,
      merchantId,
    });
    expect(paymentJobData({ paymentId, vaultToken })).toEqual({ paymentId });
  });

  it('turns a row without a string payment id into a job the processor rejects', () => {
    const data = paymentJobData({ paymentId: 42, merchantId: 7 });
    expect(data).toEqual({ paymentId: '' });
    expect(parsePaymentJob(AUTHORIZE_PAYMENT_JOB, data).valid).toBe(false);
  });
});

describe('expiryDelayMs', () => {
  const nowMs = Date.parse('2030-01-01T00:00:00.000Z');

  it('waits until the expiry', () => {
    expect(expiryDelayMs('2030-01-01T00:00:01.500Z', nowMs)).toBe(1500);
  });

  it('runs at once for a past, missing or unreadable expiry (the job checks the stored one)', () => {
    expect(expiryDelayMs('2029-12-31T23:59:59.000Z', nowMs)).toBe(0);
    expect(expiryDelayMs(undefined, nowMs)).toBe(0);
    expect(expiryDelayMs('soon', nowMs)).toBe(0);
    expect(expiryDelayMs(12, nowMs)).toBe(0);
  });
});

describe('cardMatchesPayment', () => {
  const fingerprintOf = (cardNumber: string) => `fp:${cardNumber}`;
  const payment = { cardLast4: '4242', cardFingerprint: 'fp:4242424242424242' };

  it('accepts the card the payment was made with', () => {
    expect(cardMatchesPayment('4242424242424242', payment, fingerprintOf)).toBe(true);
  });

  it('refuses another card, even one with the same last four digits', () => {
    expect(cardMatchesPayment('5555555555554444', payment, fingerprintOf)).toBe(false);
    expect(cardMatchesPayment('4000056655664242', payment, fingerprintOf)).toBe(false);
  });
});
