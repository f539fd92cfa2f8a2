import { sql } from 'drizzle-orm';
import { Database } from '../src/database/database';
import { postingsForDisputeOpened } from '../src/ledger/dispute-postings';
import type { LedgerTransactionKind } from '../src/ledger/ledger-transaction';
import { LedgerService } from '../src/ledger/ledger.service';
import { postingsForNetworkFee } from '../src/ledger/network-fee-postings';
import { postingsForPayoutCreated } from '../src/ledger/payout-postings';
import { LedgerChecks } from '../src/verification/ledger-checks.service';
import { idempotencyKeyHeader } from '../packages/client/src';
import {
  clientAs,
  createMerchant,
  createPayment,
  dataOf,
  type Merchant,
  type PaymentBody,
  paymentBody,
  settledPayment,
  uniqueKey,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { available, balanceOf, verifyLedger } from './support/money';
import { startTestApp, type TestApp } from './support/test-app';

// Issue 16's ledger model before the payouts and disputes features: their transactions name their payout or dispute,
// each step is recorded once, entries show the names, and the verifier runs the checks the features register.
describe('ledger transactions of payouts and disputes', () => {
  let subject: TestApp;
  let database: Database;
  let ledger: LedgerService;

  beforeAll(async () => {
    subject = await startTestApp(fastProcessing);
    database = subject.app.get(Database);
    ledger = subject.app.get(LedgerService);
  });
  afterAll(async () => {
    await subject.close();
  });

  async function paidMerchant(amount: number): Promise<{ merchant: Merchant; payment: PaymentBody }> {
    const merchant = await createMerchant(subject, 'Ledger model');
    const created = await createPayment(subject, merchant, paymentBody({ amount }));
    const payment = await settledPayment(subject, merchant, created.json<PaymentBody>().id);
    expect(payment.status).toBe('succeeded');
    return { merchant, payment };
  }

  function record(entry: Parameters<LedgerService['record']>[1]): Promise<string> {
    return database.transaction((tx) => ledger.record(tx, entry));
  }

  /** The database constraint that refused `attempt` (Drizzle wraps the driver's error as its cause). */
  async function refusedBy(attempt: Promise<unknown>): Promise<string | undefined> {
    const error: unknown = await attempt.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(Error);
    const cause = (error as Error & { cause?: { constraint?: string } }).cause;
    return cause?.constraint;
  }

  it('records a payout step once, names the payout on its entries and moves the balance', async () => {
    const { merchant, payment } = await paidMerchant(5000);
    // The payout's own creation recorded its payout_created (ledger_transactions.payout_id names a real payout).
    const created = await clientAs(subject, merchant).POST('/v1/payouts', {
      params: { header: idempotencyKeyHeader(uniqueKey('po')) },
      body: { amount: 3000, currency: 'usd' },
    });
    const payoutId = dataOf(created, 'payout').id;
    const payout = {
      kind: 'payout_created' as const,
      merchantId: merchant.id,
      paymentId: null,
      payoutId,
      postings: postingsForPayoutCreated({ merchantId: merchant.id, currency: 'USD', amountMinor: 3000 }),
    };
    // A replayed step: the (payout, kind) once-index refuses it, and nothing of it stays.
    expect(await refusedBy(record(payout))).toBe('ledger_transactions_payout_once');

    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(2000);
    const entries = dataOf(await clientAs(subject, merchant).GET('/v1/ledger/entries'), 'entries').data;
    expect(entries.filter((entry) => entry.payout_id === payoutId)).toEqual([
      expect.objectContaining({
        transaction_type: 'payout_created',
        account: 'merchant_payouts_in_transit',
        amount: -3000,
        payment_id: null,
        dispute_id: null,
      }),
      expect.objectContaining({ transaction_type: 'payout_created', account: 'merchant_available', amount: 3000 }),
    ]);
    expect(entries.filter((entry) => entry.payment_id === payment.id)).toEqual([
      expect.objectContaining({ transaction_type: 'payment_capture', payout_id: null, dispute_id: null }),
    ]);
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('lets a dispute and a network fee name a payment beside its own transactions, each once', async () => {
    const { merchant, payment } = await paidMerchant(1000);
    const disputeId = 'dp_0123456789ABCDEFGHIJabcd';
    // The dispute the transactions name (ledger_transactions.dispute_id is a foreign key to it), as the disputes
    // feature records it when it opens, with the money the verifier's dispute_postings check expects.
    await database.db.execute(sql`
      INSERT INTO disputes (id, merchant_id, payment_id, network_reference, amount, fee, currency, status, reason,
                            evidence_due_by)
      VALUES (${disputeId}, ${merchant.id}, ${payment.id}, 'net_test_dispute', 1000, 1500, 'USD', 'needs_response',
              'fraudulent', now() + interval '7 days')`);
    const opened = {
      kind: 'dispute_opened' as const,
      merchantId: merchant.id,
      paymentId: payment.id,
      disputeId,
      postings: postingsForDisputeOpened({
        merchantId: merchant.id,
        currency: 'USD',
        amountMinor: 1000,
        feeMinor: 1500,
      }),
    };
    await record(opened);
    // The network's fee on the dispute names the dispute, beside the capture's network fee (its network-capture
    // job's), which names only the payment.
    await record({
      kind: 'network_fee',
      merchantId: merchant.id,
      paymentId: payment.id,
      disputeId,
      postings: postingsForNetworkFee({ currency: 'USD', feeMinor: 1500 }),
    });
    expect(await refusedBy(record(opened))).toBe('ledger_transactions_dispute_once');
    // A dispute's transaction must name its dispute, and nothing names both a payout and a dispute.
    expect(await refusedBy(record({ ...opened, disputeId: undefined }))).toBe('ledger_transactions_dispute_named');
    expect(await refusedBy(record({ ...opened, disputeId: 'dp_0123456789ABCDEFGHIJnone' }))).toBe(
      'ledger_transactions_dispute_id_disputes_id_fk',
    );
    expect(await refusedBy(record({ ...opened, kind: 'dispute_won', payoutId: 'po_x' }))).toBe(
      'ledger_transactions_one_owner',
    );

    // The balance may go negative: the fee and the amount left available, which held only the payment.
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(-1500);
    const verification = await verifyLedger(subject);
    expect(verification.mismatches).toEqual([]);
    expect(verification.balanced).toBe(true);
  });

  it('runs the checks features register, and finds a transaction of no known kind', async () => {
    const { merchant, payment } = await paidMerchant(700);
    const checks = subject.app.get(LedgerChecks);
    const payoutId = 'po_checked0123456789ABCDEFG';
    checks.register({
      name: 'test-payouts',
      run: (_tx, limit) =>
        Promise.resolve(
          [{ check: 'payout_postings' as const, id: payoutId, currency: 'USD', expected: '1', actual: '0' }].slice(
            0,
            limit,
          ),
        ),
    });
    expect(() => checks.register({ name: 'test-payouts', run: () => Promise.resolve([]) })).toThrow(
      /already registered/,
    );
    const found = await verifyLedger(subject);
    expect(found.balanced).toBe(false);
    expect(found.mismatches).toContainEqual({
      check: 'payout_postings',
      id: payoutId,
      currency: 'USD',
      expected: '1',
      actual: '0',
    });

    const unknownId = await record({
      kind: 'chargeback' as LedgerTransactionKind,
      merchantId: merchant.id,
      paymentId: null,
      postings: postingsForNetworkFee({ currency: 'USD', feeMinor: 1 }),
    });
    expect((await verifyLedger(subject)).mismatches).toContainEqual({
      check: 'transaction_kind',
      id: unknownId,
      currency: '',
      expected: 'a known kind',
      actual: 'chargeback',
    });
    expect(payment.amount_captured).toBe(700);
  });
});
