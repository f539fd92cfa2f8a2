import { Client } from 'pg';
import {
  createMerchant,
  createPayment,
  type Merchant,
  type PaymentBody,
  paymentBody,
  settledPayment,
  testCards,
  uniqueKey,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { postAs, verifyLedger } from './support/money';
import { startTestApp, type TestApp } from './support/test-app';

interface Mismatch {
  check: string;
  id: string;
  currency?: string;
  account?: string;
  expected: string;
  actual: string;
}

// Each test tampers with its own payment and reads only the mismatches naming it: the verifier reports the whole
// database, and the payments of the other tests stay tampered.
describe('ledger verifier: tampering is found', () => {
  let subject: TestApp;
  let merchant: Merchant;
  let sqlClient: Client;

  beforeAll(async () => {
    subject = await startTestApp({ ...fastProcessing, FEE_PERCENT_BASIS_POINTS: '290', FEE_FIXED_MINOR: '30' });
    merchant = await createMerchant(subject);
    sqlClient = new Client({ connectionString: subject.config.database.url });
    await sqlClient.connect();
  });
  afterAll(async () => {
    await sqlClient.end();
    await subject.close();
  });

  async function settled(
    amount: number,
    captureMethod: 'automatic' | 'manual',
    card: string = testCards.visa,
  ): Promise<PaymentBody> {
    const created = await createPayment(
      subject,
      merchant,
      paymentBody({ amount, capture_method: captureMethod }, { number: card }),
    );
    return settledPayment(subject, merchant, created.json<PaymentBody>().id);
  }

  async function mismatchesOf(...ids: string[]): Promise<Mismatch[]> {
    const verification = await verifyLedger(subject);
    return (verification.mismatches as Mismatch[]).filter((mismatch) => ids.includes(mismatch.id));
  }

  /** Edits the append-only ledger as only a superuser could: triggers are off for this transaction alone. */
  async function tamperLedger(statement: string, parameters: unknown[]): Promise<void> {
    await sqlClient.query('BEGIN');
    try {
      await sqlClient.query('SET LOCAL session_replication_role = replica');
      const result = await sqlClient.query(statement, parameters);
      expect(result.rowCount).toBeGreaterThan(0);
      await sqlClient.query('COMMIT');
    } catch (error) {
      await sqlClient.query('ROLLBACK');
      throw error;
    }
  }

  const postingOf = (kind: string) => `
    SELECT p.id FROM ledger_postings p
    JOIN ledger_transactions t ON t.id = p.transaction_id
    JOIN ledger_accounts a ON a.id = p.account_id
    WHERE t.payment_id = $1 AND t.kind = 'payment_capture' AND a.kind = '${kind}'`;

  it('finds nothing in untouched payments and refunds of every kind', async () => {
    const automatic = await settled(1000, 'automatic');
    const manual = await settled(1000, 'manual');
    const canceled = await settled(700, 'manual');
    const declined = await settled(1000, 'automatic', testCards.declined);
    expect(declined.status).toBe('failed');
    expect((await postAs(subject, merchant, `/v1/payments/${manual.id}/capture`, { amount: 600 })).statusCode).toBe(
      200,
    );
    expect((await postAs(subject, merchant, `/v1/payments/${canceled.id}/cancel`)).statusCode).toBe(200);
    const refund = await postAs(subject, merchant, '/v1/refunds', { payment_id: manual.id, amount: 250 }, uniqueKey());
    expect(refund.statusCode).toBe(201);
    const ids = [automatic.id, manual.id, canceled.id, declined.id, refund.json<{ id: string }>().id];
    expect(await mismatchesOf(...ids)).toEqual([]);

    // The fee schedule is configuration: a deployment restarted with other fees still finds these payments right,
    // as it checks each capture against the fee it recorded.
    const repriced = await startTestApp({
      ...fastProcessing,
      DATABASE_URL: subject.config.database.url,
      FEE_PERCENT_BASIS_POINTS: '100',
      FEE_FIXED_MINOR: '0',
    });
    try {
      const verification = await verifyLedger(repriced);
      expect((verification.mismatches as Mismatch[]).filter((mismatch) => ids.includes(mismatch.id))).toEqual([]);
    } finally {
      await repriced.close();
    }
  });

  it("finds a payment's captured amount changed", async () => {
    const payment = await settled(1000, 'automatic');
    await sqlClient.query('UPDATE payments SET amount_captured = 900 WHERE id = $1', [payment.id]);
    const found = await mismatchesOf(payment.id);
    expect(found).toContainEqual({
      check: 'payment_amount_captured',
      id: payment.id,
      currency: 'USD',
      expected: '900',
      actual: '1000',
    });
    expect(found.map((mismatch) => mismatch.check)).toContain('payment_state');
  });

  it("finds a payment's status changed without its money (old checks compared amounts only)", async () => {
    const payment = await settled(1000, 'manual');
    expect((await postAs(subject, merchant, `/v1/payments/${payment.id}/capture`, { amount: 400 })).statusCode).toBe(
      200,
    );
    // A canceled payment keeps no captured money: captured 400 on a canceled payment is no state the rules reach.
    await sqlClient.query("UPDATE payments SET status = 'canceled' WHERE id = $1", [payment.id]);
    expect((await mismatchesOf(payment.id)).map((mismatch) => mismatch.check)).toEqual(['payment_state']);
  });

  it('finds a capture posting moved between the network and the merchant, the transaction still balanced', async () => {
    const payment = await settled(1000, 'automatic');
    const [clearing] = (await sqlClient.query<{ id: string }>(postingOf('network_clearing'), [payment.id])).rows;
    const [merchantLine] = (await sqlClient.query<{ id: string }>(postingOf('merchant_available'), [payment.id])).rows;
    await tamperLedger('UPDATE ledger_postings SET amount = amount + 10 WHERE id = $1', [clearing!.id]);
    await tamperLedger('UPDATE ledger_postings SET amount = amount - 10 WHERE id = $1', [merchantLine!.id]);
    const found = await mismatchesOf(payment.id);
    expect(found).toContainEqual({
      check: 'payment_amount_captured',
      id: payment.id,
      currency: 'USD',
      expected: '1000',
      actual: '1010',
    });
    expect(found.filter((mismatch) => mismatch.check === 'payment_postings')).toEqual([
      expect.objectContaining({
        account: 'payment_capture/merchant_available',
        actual: String(-(1000 - fee(1000)) - 10),
      }),
      expect.objectContaining({ account: 'payment_capture/network_clearing', expected: '1000', actual: '1010' }),
    ]);
  });

  it('finds a capture posting moved from the merchant into a negative fee', async () => {
    const payment = await settled(1000, 'automatic');
    const [feeLine] = (await sqlClient.query<{ id: string }>(postingOf('fees_revenue'), [payment.id])).rows;
    const [merchantLine] = (await sqlClient.query<{ id: string }>(postingOf('merchant_available'), [payment.id])).rows;
    const feeCharged = fee(1000);
    // The fee line becomes a debit of 5: the merchant got feeCharged + 5 more than the capture was worth.
    await tamperLedger('UPDATE ledger_postings SET amount = 5 WHERE id = $1', [feeLine!.id]);
    await tamperLedger('UPDATE ledger_postings SET amount = amount - $2::bigint WHERE id = $1', [
      merchantLine!.id,
      feeCharged + 5,
    ]);
    const found = await mismatchesOf(payment.id);
    expect(found.map((mismatch) => mismatch.account)).toEqual([
      'payment_capture/fees_revenue',
      'payment_capture/merchant_available',
    ]);
  });

  it('finds a refund posted without a refund, and a refund whose amount changed', async () => {
    const payment = await settled(1000, 'automatic');
    const refund = await postAs(subject, merchant, '/v1/refunds', { payment_id: payment.id, amount: 300 }, uniqueKey());
    expect(refund.statusCode).toBe(201);
    const refundId = refund.json<{ id: string }>().id;
    await sqlClient.query('UPDATE refunds SET amount = 299 WHERE id = $1', [refundId]);
    const found = await mismatchesOf(payment.id, refundId);
    expect(found).toContainEqual({
      check: 'refund_amount',
      id: refundId,
      currency: 'USD',
      expected: '299',
      actual: '300',
    });
    expect(found).toContainEqual(
      expect.objectContaining({ check: 'payment_postings', id: refundId, account: 'refund/network_clearing' }),
    );
    // The payment's own refunded amount still matches its refund postings.
    expect(found.filter((mismatch) => mismatch.id === payment.id)).toEqual([]);

    // A whole refund transaction with no refund row behind it, balanced and inserted through the triggers.
    await tamperLedger(
      `WITH tx AS (
         INSERT INTO ledger_transactions (id, kind, merchant_id, payment_id, refund_id)
         VALUES ('ltx_forged_' || $1, 'refund', $2, $1, 're_forged_' || $1) RETURNING id)
       INSERT INTO ledger_postings (id, transaction_id, account_id, merchant_id, amount, currency)
       SELECT 'lp_forged_' || a.kind || $1, tx.id, a.id, a.merchant_id,
              CASE a.kind WHEN 'merchant_available' THEN 50 ELSE -50 END, 'USD'
       FROM tx, ledger_accounts a
       WHERE a.currency = 'USD' AND ((a.kind = 'merchant_available' AND a.merchant_id = $2)
          OR (a.kind = 'network_clearing' AND a.merchant_id IS NULL))`,
      [payment.id, merchant.id],
    );
    const afterForgery = await mismatchesOf(payment.id);
    expect(afterForgery).toContainEqual({
      check: 'payment_amount_refunded',
      id: payment.id,
      currency: 'USD',
      expected: '300',
      actual: '350',
    });
  });

  it('refuses a status that is no status at all', async () => {
    const payment = await settled(1000, 'automatic');
    await expect(sqlClient.query("UPDATE payments SET status = 'settled' WHERE id = $1", [payment.id])).rejects.toThrow(
      /invalid input value for enum payment_status/,
    );
    await expect(
      sqlClient.query("UPDATE payments SET capture_method = 'later' WHERE id = $1", [payment.id]),
    ).rejects.toThrow(/invalid input value for enum capture_method/);
  });

  function fee(amount: number): number {
    const { percentBasisPoints, fixedMinor } = subject.config.payments.fees;
    return Math.min(amount, Math.floor((amount * percentBasisPoints + 5_000) / 10_000) + fixedMinor);
  }
});
