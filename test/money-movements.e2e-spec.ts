import type { components } from '../packages/client/src';
import {
  createMerchant,
  createPayment,
  eventually,
  getPayment,
  type Merchant,
  type PaymentBody,
  paymentBody,
  settledPayment,
  testCards,
  uniqueKey,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { available, balanceOf, postAs, verifyLedger } from './support/money';
import { startTestApp, type TestApp, testAdminToken } from './support/test-app';

type RefundBody = components['schemas']['Refund'];

describe('capture, cancel, refunds, balance and the ledger', () => {
  let subject: TestApp;
  let merchant: Merchant;

  beforeAll(async () => {
    subject = await startTestApp(fastProcessing);
    merchant = await createMerchant(subject);
  });
  afterAll(async () => {
    await subject.close();
  });

  async function authorized(owner: Merchant, amount = 1000, currency = 'usd'): Promise<PaymentBody> {
    const created = await createPayment(subject, owner, paymentBody({ amount, currency, capture_method: 'manual' }));
    const payment = await settledPayment(subject, owner, created.json<PaymentBody>().id);
    expect(payment.status).toBe('requires_capture');
    return payment;
  }

  async function succeeded(owner: Merchant, amount = 1000): Promise<PaymentBody> {
    const created = await createPayment(subject, owner, paymentBody({ amount }));
    const payment = await settledPayment(subject, owner, created.json<PaymentBody>().id);
    expect(payment.status).toBe('succeeded');
    return payment;
  }

  it('runs the manual flow: authorize, partial capture, refunds, and the ledger proves it', async () => {
    const owner = await createMerchant(subject, 'Manual');
    const payment = await authorized(owner, 1000);
    expect(payment).toMatchObject({ amount_capturable: 1000, amount_captured: 0 });
    expect(available(await balanceOf(subject, owner), 'USD')).toBe(0);

    const captured = await postAs(subject, owner, `/v1/payments/${payment.id}/capture`, { amount: 800 });
    expect(captured.statusCode).toBe(200);
    expect(captured.json<PaymentBody>()).toMatchObject({
      status: 'succeeded',
      amount_captured: 800,
      amount_capturable: 0,
    });
    expect(available(await balanceOf(subject, owner), 'USD')).toBe(800);

    const first = await postAs(subject, owner, '/v1/refunds', { payment_id: payment.id, amount: 300 }, uniqueKey());
    expect(first.statusCode).toBe(201);
    expect(first.json<RefundBody>()).toMatchObject({
      object: 'refund',
      payment_id: payment.id,
      amount: 300,
      currency: 'USD',
      status: 'succeeded',
    });
    const rest = await postAs(subject, owner, '/v1/refunds', { payment_id: payment.id }, uniqueKey());
    expect(rest.json<RefundBody>().amount).toBe(500);
    const over = await postAs(subject, owner, '/v1/refunds', { payment_id: payment.id, amount: 1 }, uniqueKey());
    expect(over.statusCode).toBe(422);
    expect(over.json().error.code).toBe('amount_too_large');
    // Nothing is left: said as such, not as "amount 0 exceeds 0".
    const nothingLeft = await postAs(subject, owner, '/v1/refunds', { payment_id: payment.id }, uniqueKey());
    expect(nothingLeft.statusCode).toBe(422);
    expect(nothingLeft.json().error).toMatchObject({
      code: 'amount_too_large',
      message: 'This payment has been fully refunded; nothing is left to refund.',
    });

    expect(await getPayment(subject, owner, payment.id)).toMatchObject({ amount_captured: 800, amount_refunded: 800 });
    expect(available(await balanceOf(subject, owner), 'USD')).toBe(0);
    const fetched = await subject.inject({
      method: 'GET',
      url: `/v1/refunds/${first.json<RefundBody>().id}`,
      headers: owner.headers,
    });
    expect(fetched.json()).toEqual(first.json());
    const verification = await verifyLedger(subject);
    expect(verification).toMatchObject({ balanced: true, mismatches: [] });
    expect(verification.transactions_checked).toBeGreaterThanOrEqual(4);
  });

  it('captures the whole authorization by default', async () => {
    const payment = await authorized(merchant, 1234);
    const captured = await postAs(subject, merchant, `/v1/payments/${payment.id}/capture`);
    expect(captured.json<PaymentBody>()).toMatchObject({ status: 'succeeded', amount_captured: 1234 });
  });

  it('refuses to capture more than is capturable with 422, changing nothing', async () => {
    const payment = await authorized(merchant, 500);
    const response = await postAs(subject, merchant, `/v1/payments/${payment.id}/capture`, { amount: 501 });
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatchObject({ code: 'amount_too_large', param: 'amount' });
    expect((await getPayment(subject, merchant, payment.id)).status).toBe('requires_capture');
    for (const amount of [0, -1, 1.5, '100']) {
      const invalid = await postAs(subject, merchant, `/v1/payments/${payment.id}/capture`, { amount });
      expect(invalid.statusCode).toBe(400);
    }
  });

  it('cancels an authorization, releasing the hold, and refuses illegal transitions with 409', async () => {
    const payment = await authorized(merchant, 700);
    const canceled = await postAs(subject, merchant, `/v1/payments/${payment.id}/cancel`);
    expect(canceled.statusCode).toBe(200);
    expect(canceled.json<PaymentBody>()).toMatchObject({
      status: 'canceled',
      amount_capturable: 0,
      amount_captured: 0,
    });
    for (const action of ['capture', 'cancel']) {
      const again = await postAs(subject, merchant, `/v1/payments/${payment.id}/${action}`);
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe('payment_state_invalid');
    }
    const automatic = await succeeded(merchant, 300);
    const cancelSucceeded = await postAs(subject, merchant, `/v1/payments/${automatic.id}/cancel`);
    expect(cancelSucceeded.statusCode).toBe(409);
    const refundCanceled = await postAs(subject, merchant, '/v1/refunds', { payment_id: payment.id }, uniqueKey());
    expect(refundCanceled.statusCode).toBe(409);
  });

  it('refuses refunds of payments that did not succeed', async () => {
    const declined = await createPayment(subject, merchant, paymentBody({}, { number: testCards.declined }));
    const failed = await settledPayment(subject, merchant, declined.json<PaymentBody>().id);
    const refund = await postAs(subject, merchant, '/v1/refunds', { payment_id: failed.id }, uniqueKey());
    expect(refund.statusCode).toBe(409);
    expect(refund.json().error.code).toBe('payment_state_invalid');
    const held = await authorized(merchant, 200);
    const refundHeld = await postAs(subject, merchant, '/v1/refunds', { payment_id: held.id }, uniqueKey());
    expect(refundHeld.statusCode).toBe(409);
  });

  it('serializes 20 concurrent refunds of 100 on a 1000 payment: exactly 10 succeed', async () => {
    const owner = await createMerchant(subject, 'Concurrent');
    const payment = await succeeded(owner, 1000);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        postAs(subject, owner, '/v1/refunds', { payment_id: payment.id, amount: 100 }, uniqueKey('refund')),
      ),
    );
    const statuses = responses.map((response) => response.statusCode).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(10);
    expect(statuses.filter((status) => status === 422)).toHaveLength(10);
    expect(await getPayment(subject, owner, payment.id)).toMatchObject({ amount_refunded: 1000 });
    expect(available(await balanceOf(subject, owner), 'USD')).toBe(0);
  });

  it('replays capture, cancel and refund for the same Idempotency-Key', async () => {
    const toCapture = await authorized(merchant, 600);
    const captureKey = uniqueKey('capture');
    const firstCapture = await postAs(
      subject,
      merchant,
      `/v1/payments/${toCapture.id}/capture`,
      { amount: 100 },
      captureKey,
    );
    const replayCapture = await postAs(
      subject,
      merchant,
      `/v1/payments/${toCapture.id}/capture`,
      { amount: 100 },
      captureKey,
    );
    expect(replayCapture.statusCode).toBe(200);
    expect(replayCapture.headers['idempotent-replayed']).toBe('true');
    expect(replayCapture.json()).toEqual(firstCapture.json());

    const toCancel = await authorized(merchant, 600);
    const cancelKey = uniqueKey('cancel');
    const firstCancel = await postAs(subject, merchant, `/v1/payments/${toCancel.id}/cancel`, undefined, cancelKey);
    const replayCancel = await postAs(subject, merchant, `/v1/payments/${toCancel.id}/cancel`, undefined, cancelKey);
    expect(replayCancel.statusCode).toBe(200);
    expect(replayCancel.json()).toEqual(firstCancel.json());

    const toRefund = await succeeded(merchant, 600);
    const refundKey = uniqueKey('refund');
    const firstRefund = await postAs(
      subject,
      merchant,
      '/v1/refunds',
      { payment_id: toRefund.id, amount: 50 },
      refundKey,
    );
    const replayRefund = await postAs(
      subject,
      merchant,
      '/v1/refunds',
      { payment_id: toRefund.id, amount: 50 },
      refundKey,
    );
    expect(replayRefund.statusCode).toBe(201);
    expect(replayRefund.json()).toEqual(firstRefund.json());
    expect((await getPayment(subject, merchant, toRefund.id)).amount_refunded).toBe(50);
    const reused = await postAs(subject, merchant, '/v1/refunds', { payment_id: toRefund.id, amount: 60 }, refundKey);
    expect(reused.statusCode).toBe(422);
    expect(reused.json().error.code).toBe('idempotency_key_reused');
  });

  it('requires an Idempotency-Key on refunds', async () => {
    const payment = await succeeded(merchant, 100);
    const response = await postAs(subject, merchant, '/v1/refunds', { payment_id: payment.id });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe('Idempotency-Key');
  });

  it("keeps every new endpoint to the merchant's own objects", async () => {
    const intruder = await createMerchant(subject, 'Intruder');
    const held = await authorized(merchant, 400);
    const paid = await succeeded(merchant, 400);
    const refund = await postAs(subject, merchant, '/v1/refunds', { payment_id: paid.id, amount: 10 }, uniqueKey());
    const attempts = [
      await postAs(subject, intruder, `/v1/payments/${held.id}/capture`),
      await postAs(subject, intruder, `/v1/payments/${held.id}/cancel`),
      await postAs(subject, intruder, '/v1/refunds', { payment_id: paid.id }, uniqueKey()),
      await subject.inject({
        method: 'GET',
        url: `/v1/refunds/${refund.json<RefundBody>().id}`,
        headers: intruder.headers,
      }),
    ];
    for (const attempt of attempts) {
      expect(attempt.statusCode).toBe(404);
      expect(attempt.json().error.code).toBe('resource_missing');
    }
    expect((await getPayment(subject, merchant, held.id)).status).toBe('requires_capture');
    expect(await balanceOf(subject, intruder)).toEqual({ object: 'balance', available: [], pending: [] });
    const entries = await subject.inject({ method: 'GET', url: '/v1/ledger/entries', headers: intruder.headers });
    expect(entries.json()).toEqual({ object: 'list', data: [], has_more: false });
  });

  it('lists ledger entries newest first in pages that do not overlap, each transaction balanced', async () => {
    const owner = await createMerchant(subject, 'Entries');
    const payment = await succeeded(owner, 1000);
    await postAs(subject, owner, '/v1/refunds', { payment_id: payment.id, amount: 250 }, uniqueKey());
    const held = await authorized(owner, 300);
    await postAs(subject, owner, `/v1/payments/${held.id}/capture`, { amount: 200 });
    const seen: { id: string; amount: number; transaction_id: string; account: string }[] = [];
    let startingAfter: string | undefined;
    for (;;) {
      const page = await subject.inject({
        method: 'GET',
        url: `/v1/ledger/entries?limit=2${startingAfter ? `&starting_after=${startingAfter}` : ''}`,
        headers: owner.headers,
      });
      const body = page.json<{ data: typeof seen; has_more: boolean }>();
      seen.push(...body.data);
      if (!body.has_more) break;
      startingAfter = body.data.at(-1)!.id;
    }
    expect(new Set(seen.map((entry) => entry.id)).size).toBe(seen.length);
    // The merchant's own lines: capture credit, refund debit, hold credit, hold release debit, capture credit.
    expect(seen.map((entry) => entry.amount)).toEqual([-200, 300, -300, 250, -1000]);
    const sum = seen.reduce((total, entry) => total + entry.amount, 0);
    expect(-sum).toBe(available(await balanceOf(subject, owner), 'USD'));
  });

  it('keeps balances per currency', async () => {
    const owner = await createMerchant(subject, 'Currencies');
    await succeeded(owner, 500);
    const yen = await createPayment(subject, owner, paymentBody({ amount: 700, currency: 'jpy' }));
    await settledPayment(subject, owner, yen.json<PaymentBody>().id);
    const balance = await balanceOf(subject, owner);
    expect(balance).toEqual({
      object: 'balance',
      available: [
        { currency: 'JPY', amount: 700 },
        { currency: 'USD', amount: 500 },
      ],
      pending: [],
    });
  });

  it('lets only operators run the verifier', async () => {
    const anonymous = await subject.inject({ method: 'GET', url: '/v1/admin/ledger/verify' });
    expect(anonymous.statusCode).toBe(401);
    const merchantCall = await subject.inject({
      method: 'GET',
      url: '/v1/admin/ledger/verify',
      headers: merchant.headers,
    });
    expect(merchantCall.statusCode).toBe(401);
    const operator = await subject.inject({
      method: 'GET',
      url: '/v1/admin/ledger/verify',
      headers: { 'x-admin-token': testAdminToken },
    });
    expect(operator.statusCode).toBe(200);
  });

  it('leaves the ledger balanced after everything above', async () => {
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });
});

describe('authorizations nobody captures', () => {
  let subject: TestApp;

  beforeAll(async () => {
    subject = await startTestApp({ ...fastProcessing, AUTHORIZATION_EXPIRY_MS: '300' });
  });
  afterAll(async () => {
    await subject.close();
  });

  it('are canceled by a delayed job once the configured window has passed, releasing the hold', async () => {
    const merchant = await createMerchant(subject);
    const created = await createPayment(subject, merchant, paymentBody({ amount: 900, capture_method: 'manual' }));
    const payment = created.json<PaymentBody>();
    const expired = await eventually(
      () => getPayment(subject, merchant, payment.id),
      (current) => current.status === 'canceled',
      { what: 'the authorization expiring' },
    );
    expect(expired).toMatchObject({ amount_capturable: 0, amount_captured: 0 });
    const late = await postAs(subject, merchant, `/v1/payments/${payment.id}/capture`);
    expect(late.statusCode).toBe(409);
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });
});
