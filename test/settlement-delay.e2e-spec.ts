import { sql } from 'drizzle-orm';
import { Database } from '../src/database/database';
import {
  adminClient,
  createMerchant,
  createPayment,
  dataOf,
  eventually,
  type Merchant,
  type PaymentBody,
  paymentBody,
  settledPayment,
  uniqueKey,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { available, type Balance, balanceOf, postAs, verifyLedger } from './support/money';
import { startTestApp, type TestApp } from './support/test-app';

// A delay long enough that the payments below are all settled, captured and refunded before any is due, short
// enough to poll for. The scheduled release runs hourly here: only the operator's run (below) releases anything.
const delayMs = 5_000;
const settlementApp = {
  ...fastProcessing,
  SETTLEMENT_DELAY_MS: String(delayMs),
  SETTLEMENT_RELEASE_INTERVAL_MS: '3600000',
};

function pending(balance: Balance, currency: string): number {
  return balance.pending.find((entry) => entry.currency === currency)?.amount ?? 0;
}

describe('settlement delay', () => {
  let subject: TestApp;

  beforeAll(async () => {
    subject = await startTestApp(settlementApp);
  });
  afterAll(async () => {
    await subject.close();
  });

  const runRelease = async () =>
    dataOf(await adminClient(subject).POST('/v1/admin/settlements/run', { body: {} }), 'settlements run').released;

  async function pay(merchant: Merchant, body: Record<string, unknown>): Promise<PaymentBody> {
    const created = await createPayment(subject, merchant, paymentBody(body));
    return settledPayment(subject, merchant, created.json<PaymentBody>().id);
  }

  async function refund(merchant: Merchant, paymentId: string, amount: number): Promise<void> {
    const response = await postAs(subject, merchant, '/v1/refunds', { payment_id: paymentId, amount }, uniqueKey('re'));
    expect(response.statusCode).toBe(201);
  }

  const rowsOf = async <Row>(statement: ReturnType<typeof sql>) =>
    (await subject.app.get(Database).db.execute(statement)).rows as Row[];

  it('credits pending, takes refunds from pending, releases due money to available once per merchant and currency', async () => {
    const merchant = await createMerchant(subject, 'Delayed');
    const other = await createMerchant(subject, 'Delayed EUR');

    const first = await pay(merchant, { amount: 1000 });
    const second = await pay(merchant, { amount: 2000 });
    const refundedInFull = await pay(merchant, { amount: 500 });
    const manual = await pay(merchant, { amount: 1500, capture_method: 'manual' });
    const euro = await pay(other, { amount: 700, currency: 'eur' });
    for (const payment of [first, second, refundedInFull, euro]) expect(payment.status).toBe('succeeded');
    expect(manual.status).toBe('requires_capture');
    const captured = await postAs(subject, merchant, `/v1/payments/${manual.id}/capture`, { amount: 600 }, uniqueKey());
    expect(captured.statusCode).toBe(200);

    // Captured money is pending, not available.
    let balance = await balanceOf(subject, merchant);
    expect(pending(balance, 'USD')).toBe(1000 + 2000 + 500 + 600);
    expect(available(balance, 'USD')).toBe(0);
    expect(pending(await balanceOf(subject, other), 'EUR')).toBe(700);

    // Refunds while pending take from pending: part of one payment, and all of another (its row closes at 0).
    await refund(merchant, second.id, 300);
    await refund(merchant, refundedInFull.id, 500);
    balance = await balanceOf(subject, merchant);
    expect(pending(balance, 'USD')).toBe(700 + 1000 + 1700 + 600 - 700);
    expect(available(balance, 'USD')).toBe(0);

    // Nothing is due yet: a run releases nothing (the payments above took well under the delay).
    expect(await runRelease()).toBe(0);
    expect(pending(await balanceOf(subject, merchant), 'USD')).toBe(3300);

    // Once every row is due, two runs at once release each row exactly once between them.
    await eventually(
      () =>
        rowsOf<{ waiting: string }>(sql`
          SELECT count(*)::text AS waiting FROM pending_settlements WHERE released_at IS NULL AND due_at > now()`),
      (rows) => rows[0]!.waiting === '0',
      { deadlineMs: delayMs * 4, intervalMs: 200, what: 'every pending settlement due' },
    );
    const [a, b] = await Promise.all([runRelease(), runRelease()]);
    expect(a + b).toBe(4);
    expect(await runRelease()).toBe(0);

    balance = await balanceOf(subject, merchant);
    expect(pending(balance, 'USD')).toBe(0);
    expect(available(balance, 'USD')).toBe(3300);
    const otherBalance = await balanceOf(subject, other);
    expect([pending(otherBalance, 'EUR'), available(otherBalance, 'EUR')]).toEqual([0, 700]);

    // One settlement_release transaction per merchant and currency, moving the sum of its rows.
    const releases = await rowsOf<{ merchant_id: string; transactions: string; released: string }>(sql`
      SELECT t.merchant_id, count(DISTINCT t.id)::text AS transactions, sum(s.amount)::text AS released
        FROM ledger_transactions t JOIN pending_settlements s ON s.release_transaction_id = t.id
       WHERE t.kind = 'settlement_release' AND t.merchant_id IN (${merchant.id}, ${other.id})
       GROUP BY t.merchant_id ORDER BY t.merchant_id = ${merchant.id} DESC`);
    expect(releases).toEqual([
      { merchant_id: merchant.id, transactions: '1', released: '3300' },
      { merchant_id: other.id, transactions: '1', released: '700' },
    ]);
    const closed = await rowsOf<{ amount: string; release_transaction_id: string | null; released: boolean }>(sql`
      SELECT amount::text AS amount, release_transaction_id, released_at IS NOT NULL AS released
        FROM pending_settlements WHERE payment_id = ${refundedInFull.id}`);
    expect(closed).toEqual([{ amount: '0', release_transaction_id: null, released: true }]);

    // A refund after the release takes from available.
    await refund(merchant, first.id, 200);
    balance = await balanceOf(subject, merchant);
    expect([pending(balance, 'USD'), available(balance, 'USD')]).toEqual([0, 3100]);

    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('the verifier finds a pending balance or a release that differs from its rows', async () => {
    const merchant = await createMerchant(subject, 'Tampered');
    const payment = await pay(merchant, { amount: 900 });
    expect(payment.status).toBe('succeeded');
    const database = subject.app.get(Database).db;
    // Still pending: a row that holds more than the pending balance is found.
    await database.execute(sql`UPDATE pending_settlements SET amount = amount + 1 WHERE payment_id = ${payment.id}`);
    try {
      const verification = await verifyLedger(subject);
      expect(verification.balanced).toBe(false);
      expect(verification.mismatches).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            check: 'settlement_release',
            id: merchant.id,
            currency: 'USD',
            account: 'merchant_pending',
            expected: '901',
            actual: '900',
          }),
        ]),
      );
    } finally {
      await database.execute(sql`UPDATE pending_settlements SET amount = amount - 1 WHERE payment_id = ${payment.id}`);
    }
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
    await eventually(
      async () => {
        await runRelease();
        return available(await balanceOf(subject, merchant), 'USD');
      },
      (amount) => amount === 900,
      { deadlineMs: delayMs * 4, intervalMs: 250, what: 'the payment released' },
    );
    // Released: the release's postings no longer match what its row says it released.
    await database.execute(sql`UPDATE pending_settlements SET amount = amount + 1 WHERE payment_id = ${payment.id}`);
    try {
      const verification = await verifyLedger(subject);
      expect(verification.balanced).toBe(false);
      expect(verification.mismatches).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            check: 'settlement_release',
            currency: 'USD',
            account: 'settlement_release/merchant_pending',
            expected: '901',
            actual: '900',
          }),
        ]),
      );
    } finally {
      await database.execute(sql`UPDATE pending_settlements SET amount = amount - 1 WHERE payment_id = ${payment.id}`);
    }
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });
});
