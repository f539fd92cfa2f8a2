import { sql } from 'drizzle-orm';
import { Database } from '../src/database/database';
import {
  createMerchant,
  createPayment,
  getPayment,
  type Merchant,
  type PaymentBody,
  paymentBody,
  settledPayment,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { available, balanceOf, postAs, verifyLedger } from './support/money';
import { startTestApp, type TestApp } from './support/test-app';
import { emptyWalletAccount, TestWalletModule } from './support/test-wallet.payment-method';

const walletBody = (account: string, overrides: Record<string, unknown> = {}) => ({
  amount: 2500,
  currency: 'eur',
  payment_method: { type: 'test_wallet', wallet: { account } },
  ...overrides,
});

describe('a payment method added by one provider (issue #12: the worked example)', () => {
  let subject: TestApp;
  let merchant: Merchant;

  beforeAll(async () => {
    subject = await startTestApp(fastProcessing, { imports: [TestWalletModule] });
    merchant = await createMerchant(subject, 'Wallets');
  });
  afterAll(async () => {
    await subject.close();
  });

  it('takes a wallet payment end to end: 202 processing, succeeded by the worker, ledger, balance and refunds', async () => {
    const created = await createPayment(subject, merchant, walletBody('acct_alice'));
    expect(created.statusCode).toBe(202);
    const accepted = created.json<PaymentBody>();
    expect(accepted).toMatchObject({
      object: 'payment',
      status: 'processing',
      amount: 2500,
      currency: 'EUR',
      payment_method_type: 'test_wallet',
      card: null,
    });
    expect(created.body).not.toContain('acct_alice');

    const payment = await settledPayment(subject, merchant, accepted.id);
    expect(payment).toMatchObject({
      status: 'succeeded',
      amount_captured: 2500,
      payment_method_type: 'test_wallet',
      card: null,
    });
    const afterPayment = available(await balanceOf(subject, merchant), 'EUR');
    expect(afterPayment).toBeGreaterThan(0);

    const refund = await postAs(subject, merchant, '/v1/refunds', { payment_id: payment.id, amount: 1000 }, 'wr-1');
    expect(refund.statusCode).toBe(201);
    expect(refund.json()).toMatchObject({ payment_id: payment.id, amount: 1000, currency: 'EUR', status: 'succeeded' });
    expect(await getPayment(subject, merchant, payment.id)).toMatchObject({ amount_refunded: 1000, card: null });
    expect(available(await balanceOf(subject, merchant), 'EUR')).toBe(afterPayment - 1000);

    const tooMuch = await postAs(subject, merchant, '/v1/refunds', { payment_id: payment.id, amount: 1501 }, 'wr-2');
    expect(tooMuch.statusCode).toBe(422);
    expect(tooMuch.json().error).toMatchObject({ code: 'amount_too_large', param: 'amount' });

    const verification = await verifyLedger(subject);
    expect(verification).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('declines by its own rule, and holds then captures a manual payment', async () => {
    const empty = await createPayment(subject, merchant, walletBody(emptyWalletAccount));
    expect(empty.statusCode).toBe(202);
    expect(await settledPayment(subject, merchant, empty.json<PaymentBody>().id)).toMatchObject({
      status: 'failed',
      failure_code: 'insufficient_funds',
      payment_method_type: 'test_wallet',
    });

    const manual = await createPayment(subject, merchant, walletBody('acct_bob', { capture_method: 'manual' }));
    const held = await settledPayment(subject, merchant, manual.json<PaymentBody>().id);
    expect(held).toMatchObject({ status: 'requires_capture', amount_capturable: 2500 });
    const captured = await postAs(subject, merchant, `/v1/payments/${held.id}/capture`, { amount: 2000 });
    expect(captured.statusCode).toBe(200);
    expect(captured.json()).toMatchObject({ status: 'succeeded', amount_captured: 2000, card: null });
  });

  it('keeps its details on the payment row and nothing in the card columns or the vault', async () => {
    const created = await createPayment(subject, merchant, walletBody('acct_carol'));
    const id = created.json<PaymentBody>().id;
    await settledPayment(subject, merchant, id);
    const database = subject.app.get(Database);
    const { rows } = await database.db.execute<{ type: string; details: unknown; brand: string | null }>(
      sql`SELECT payment_method_type AS type, payment_method_details AS details, card_brand AS brand, vault_token
          FROM payments WHERE id = ${id}`,
    );
    expect(rows[0]).toMatchObject({ type: 'test_wallet', details: { account: 'acct_carol' }, brand: null });
  });

  it('validates its body with its schema, and card payments go on as before beside it', async () => {
    const bad = await createPayment(subject, merchant, walletBody('bob'));
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'parameter_invalid', param: 'payment_method.wallet.account' });
    const extra = await createPayment(subject, merchant, {
      ...walletBody('acct_dave'),
      payment_method: { type: 'test_wallet', wallet: { account: 'acct_dave' }, card: {} },
    });
    expect(extra.json().error).toMatchObject({ code: 'parameter_unknown', param: 'payment_method.card' });
    const unknown = await createPayment(subject, merchant, paymentBody({ payment_method: { type: 'bank' } }));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({
      code: 'parameter_invalid',
      param: 'payment_method.type',
      message: 'Invalid payment_method.type: Invalid option: expected one of "card"|"test_wallet"',
    });

    const card = await createPayment(subject, merchant, paymentBody());
    expect(card.statusCode).toBe(202);
    const settled = await settledPayment(subject, merchant, card.json<PaymentBody>().id);
    expect(settled).toMatchObject({ status: 'succeeded', payment_method_type: 'card', card: { last4: '4242' } });
  });
});

describe('without the extra method', () => {
  let subject: TestApp;
  let merchant: Merchant;

  beforeAll(async () => {
    subject = await startTestApp(fastProcessing);
    merchant = await createMerchant(subject);
  });
  afterAll(async () => {
    await subject.close();
  });

  it('refuses its type as any unknown type, with the message a single literal gave', async () => {
    const response = await createPayment(subject, merchant, walletBody('acct_alice'));
    expect(response.statusCode).toBe(400);
    expect(response.json().error).toMatchObject({
      type: 'invalid_request_error',
      code: 'parameter_invalid',
      param: 'payment_method.type',
      message: 'Invalid payment_method.type: Invalid input: expected "card"',
    });
  });
});
