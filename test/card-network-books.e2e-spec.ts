import { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { Database } from '../src/database/database';
import { CardNetworkReportHook } from '../src/payments/card-network/card-network-report-hook.service';
import { CardNetwork, type SettlementReportLine } from '../src/payments/card-network/card-network.port';
import { NETWORK_CAPTURE_JOB, PAYMENTS_QUEUE } from '../src/payments/payments.constants';
import {
  createMerchant,
  createPayment,
  eventually,
  type Merchant,
  type PaymentBody,
  paymentBody,
  settledPayment,
  uniqueKey,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { postAs, verifyLedger } from './support/money';
import { startTestApp, type TestApp } from './support/test-app';

// The journal insert of a capture of this amount fails once, as a network that timed out would.
const failsOnceAmount = 4713;
const disputedCard = '4000000000002685';

interface JournalLine extends Record<string, unknown> {
  reference: string;
  type: string;
  refund_id: string | null;
  dispute_id: string | null;
  amount: string;
}

// Issue 16 part 1: captures and refunds reach the card network's own books exactly once, the day's settlement report
// is read from them, and the test hook changes it.
describe('the card network keeps its own books', () => {
  let subject: TestApp;
  let database: Database;
  let network: CardNetwork;
  let hook: CardNetworkReportHook;
  let merchant: Merchant;
  let queue: Queue;
  const today = () => new Date().toISOString().slice(0, 10);

  beforeAll(async () => {
    // The disputes feature's poll would record and acknowledge the network's disputes before the test reads them: it
    // runs once at start (nothing to find yet) and not again within the test.
    subject = await startTestApp({ ...fastProcessing, DISPUTE_DELAY_MS: '200', DISPUTE_POLL_INTERVAL_MS: '3600000' });
    database = subject.app.get(Database);
    network = subject.app.get(CardNetwork);
    hook = subject.app.get(CardNetworkReportHook);
    queue = new Queue(PAYMENTS_QUEUE, {
      connection: { url: subject.config.redis.url },
      prefix: subject.config.redis.queuePrefix,
    });
    merchant = await createMerchant(subject, 'Network books');
    await database.db.execute(
      sql.raw(`
      CREATE SEQUENCE test_journal_fails_once;
      CREATE FUNCTION test_break_journal() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.type = 'capture' AND NEW.amount = ${failsOnceAmount} AND nextval('test_journal_fails_once') <= 1 THEN
          RAISE EXCEPTION 'test: the network timed out';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_break_journal BEFORE INSERT ON card_network_journal
        FOR EACH ROW EXECUTE FUNCTION test_break_journal();`),
    );
  });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await subject.close();
  });

  async function journalOf(paymentId: string): Promise<JournalLine[]> {
    const rows = await database.db.execute<JournalLine>(sql`
      SELECT reference, type, refund_id, dispute_id, amount::text FROM card_network_journal
       WHERE payment_id = ${paymentId} ORDER BY created_at, type = 'fee', reference`);
    return rows.rows;
  }

  async function networkFeesOf(paymentId: string): Promise<string[]> {
    const rows = await database.db.execute<{ amount: string }>(sql`
      SELECT p.amount::text FROM ledger_transactions t JOIN ledger_postings p ON p.transaction_id = t.id
        JOIN ledger_accounts a ON a.id = p.account_id
       WHERE t.payment_id = ${paymentId} AND t.kind = 'network_fee' AND a.kind = 'network_fees'`);
    return rows.rows.map((row) => row.amount);
  }

  async function paid(amount: number, card?: string): Promise<PaymentBody> {
    const created = await createPayment(subject, merchant, paymentBody({ amount }, card ? { number: card } : {}));
    const payment = await settledPayment(subject, merchant, created.json<PaymentBody>().id);
    expect(payment.status).toBe('succeeded');
    return payment;
  }

  const typesOf = (lines: readonly JournalLine[]) => lines.map((line) => `${line.type}:${line.amount}`).sort();

  it('captures an automatic payment with its authorization (a sale): its fee settles with it, no capture job', async () => {
    const payment = await paid(2500);
    // Read once the payment is final: the fee is committed with the settlement, not by a later job.
    expect(await networkFeesOf(payment.id)).toEqual(['10']);
    expect(typesOf(await journalOf(payment.id))).toEqual(['capture:2500', 'fee:10']);
    const captureJobs = await database.db.execute(
      sql`SELECT id FROM outbox WHERE payload->>'paymentId' = ${payment.id} AND topic = 'payment.network_capture'`,
    );
    expect(captureJobs.rows).toEqual([]);
  });

  it('journals a capture and its fee once, even when the first journal write fails and the job runs again', async () => {
    const payment = await paid(failsOnceAmount);
    // 0.20 % of 4713 is 9.4 → 9, plus 5.
    const lines = await eventually(
      () => journalOf(payment.id),
      (found) => found.length === 2,
      { what: 'the capture in the network journal' },
    );
    expect(typesOf(lines)).toEqual(['capture:4713', 'fee:14']);
    await eventually(
      () => networkFeesOf(payment.id),
      (fees) => fees.length === 1,
      { what: 'the network fee in the ledger' },
    );

    // The job again (a replay under another job id) and the port asked again: the network's first record answers.
    const replay = await queue.add(
      NETWORK_CAPTURE_JOB,
      { paymentId: payment.id, merchantId: merchant.id },
      { jobId: uniqueKey('replay'), attempts: 1 },
    );
    await eventually(
      async () => (await queue.getJob(replay.id!))?.returnvalue as { outcome?: string } | undefined,
      (value) => value?.outcome === 'captured',
      { what: 'the replayed capture job' },
    );
    const again = await network.capture({
      paymentId: payment.id,
      authorizationReference: null,
      amountMinor: failsOnceAmount,
      currency: 'USD',
      idempotencyKey: `capture_${payment.id}`,
    });
    expect(again).toEqual({ networkReference: lines.find((line) => line.type === 'capture')!.reference, feeMinor: 14 });
    expect(typesOf(await journalOf(payment.id))).toEqual(['capture:4713', 'fee:14']);
    expect(await networkFeesOf(payment.id)).toEqual(['14']);
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('journals a manual capture at the captured amount and each refund once; the day reports them', async () => {
    const created = await createPayment(subject, merchant, paymentBody({ amount: 2000, capture_method: 'manual' }));
    const authorized = await settledPayment(subject, merchant, created.json<PaymentBody>().id);
    expect(authorized.status).toBe('requires_capture');
    expect(
      (await postAs(subject, merchant, `/v1/payments/${authorized.id}/capture`, { amount: 1500 })).statusCode,
    ).toBe(200);
    const refund = await postAs(
      subject,
      merchant,
      '/v1/refunds',
      { payment_id: authorized.id, amount: 400 },
      uniqueKey(),
    );
    expect(refund.statusCode).toBe(201);
    const refundId = refund.json<{ id: string }>().id;
    const lines = await eventually(
      () => journalOf(authorized.id),
      (found) => found.length === 3,
      { what: 'capture, fee and refund in the network journal' },
    );
    expect(typesOf(lines)).toEqual(['capture:1500', 'fee:8', 'refund:400']);
    expect(lines.find((line) => line.type === 'refund')!.refund_id).toBe(refundId);

    const report = (await network.settlementReport(today())).filter((line) => line.payment_id === authorized.id);
    expect(report).toEqual(
      lines.map((line): unknown =>
        expect.objectContaining({
          type: line.type,
          network_reference: line.reference,
          amount: Number(line.amount),
          currency: 'USD',
          refund_id: line.refund_id,
        }),
      ),
    );
    await expect(network.settlementReport('2026-02-30')).rejects.toThrow(RangeError);
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('lets the test hook drop, alter and add report lines, and clear them', async () => {
    const payment = await paid(3000);
    const lines = await eventually(
      () => journalOf(payment.id),
      (found) => found.length === 2,
      { what: 'the capture in the network journal' },
    );
    const capture = lines.find((line) => line.type === 'capture')!;
    const fee = lines.find((line) => line.type === 'fee')!;
    const day = today();
    const added: SettlementReportLine = {
      type: 'capture',
      payment_id: 'pay_0000000000000000notours0',
      refund_id: null,
      dispute_id: null,
      network_reference: 'net_forged_by_the_test_hook',
      amount: 777,
      currency: 'USD',
    };
    const ours = async () =>
      (await network.settlementReport(day)).filter(
        (line) => line.payment_id === payment.id || line.network_reference === added.network_reference,
      );
    try {
      await hook.drop(day, fee.reference);
      await hook.alter(day, capture.reference, { amount: 2999 });
      await hook.add(day, added);
      expect(await ours()).toEqual([
        expect.objectContaining({ type: 'capture', network_reference: capture.reference, amount: 2999 }),
        added,
      ]);
    } finally {
      await hook.clear(day);
    }
    expect((await ours()).map((line) => [line.type, line.amount])).toEqual([
      ['capture', 3000],
      ['fee', 11],
    ]);
  });

  it('opens a dispute on the test card after the capture, and journals its fee and a lost amount', async () => {
    const payment = await paid(2500, disputedCard);
    const [dispute] = await eventually(
      async () => (await network.openedDisputes(100)).filter((opened) => opened.paymentId === payment.id),
      (opened) => opened.length === 1,
      { what: 'the network opening the dispute' },
    );
    expect(dispute).toMatchObject({ amountMinor: 2500, currency: 'USD', reason: 'fraudulent' });
    expect(dispute!.evidenceDueBy.getTime()).toBeGreaterThan(dispute!.openedAt.getTime());
    expect(await network.disputeStatus(dispute!.networkReference)).toEqual({ decision: 'open', decidedAt: null });

    const disputeId = 'dp_0123456789ABCDEFGHIJnetw';
    await network.acknowledgeDispute(dispute!.networkReference, disputeId);
    await network.acknowledgeDispute(dispute!.networkReference, disputeId);
    expect((await network.openedDisputes(100)).filter((opened) => opened.paymentId === payment.id)).toEqual([]);
    const lost = await network.submitDisputeEvidence(dispute!.networkReference, 'a receipt, nothing more');
    expect(lost.decision).toBe('lost');
    // A second submission changes nothing.
    expect((await network.submitDisputeEvidence(dispute!.networkReference, 'winning_evidence')).decision).toBe('lost');
    const lines = await journalOf(payment.id);
    expect(typesOf(lines)).toEqual(['capture:2500', 'dispute:2500', 'fee:10', 'fee:1500']);
    expect(
      lines
        .filter((line) => line.dispute_id === disputeId)
        .map((line) => line.type)
        .sort(),
    ).toEqual(['dispute', 'fee']);
  });

  it('decides a dispute won on winning evidence, without a dispute line', async () => {
    const payment = await paid(900, disputedCard);
    const [dispute] = await eventually(
      async () => (await network.openedDisputes(100)).filter((opened) => opened.paymentId === payment.id),
      (opened) => opened.length === 1,
      { what: 'the network opening the dispute' },
    );
    await network.acknowledgeDispute(dispute!.networkReference, 'dp_0123456789ABCDEFGHIJwins');
    expect((await network.submitDisputeEvidence(dispute!.networkReference, 'here is winning_evidence')).decision).toBe(
      'won',
    );
    expect((await network.disputeStatus(dispute!.networkReference)).decision).toBe('won');
    expect(typesOf(await journalOf(payment.id))).toEqual(['capture:900', 'fee:1500', 'fee:7']);
  });
});
