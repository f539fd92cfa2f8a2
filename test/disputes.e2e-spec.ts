import { sql } from 'drizzle-orm';
import type { components } from '../packages/client/src';
import { Database } from '../src/database/database';
import {
  clientAs,
  createMerchant,
  createPayment,
  dataOf,
  eventually,
  getPayment,
  type Merchant,
  type PaymentBody,
  paymentBody,
  settledPayment,
  uniqueKey,
} from './support/api';
import {
  closeDispute,
  type DisputeBody,
  disputedCard,
  disputeOfPayment,
  disputesOf,
  getDispute,
  networkOpensDispute,
  settledDispute,
  submitEvidence,
} from './support/disputes';
import { fastProcessing } from './support/fast-processing';
import { injectedResponse } from './support/inject-fetch';
import { available, balanceOf, postAs, verifyLedger } from './support/money';
import { startTestApp, type TestApp } from './support/test-app';
import { createEndpoint } from './support/webhooks-api';
import { WebhookReceiver } from './support/webhooks-receiver';

type EventBody = components['schemas']['Event'];

const dayMs = 86_400_000;

async function disputedPayment(subject: TestApp, merchant: Merchant, amount: number, currency = 'usd') {
  const created = await createPayment(subject, merchant, paymentBody({ amount, currency }, { number: disputedCard }));
  const payment = await settledPayment(subject, merchant, created.json<PaymentBody>().id);
  expect(payment.status).toBe('succeeded');
  return payment;
}

/** The merchant's events about `objectId`, oldest first. */
async function eventsAbout(subject: TestApp, merchant: Merchant, objectId: string): Promise<EventBody[]> {
  const listed = dataOf(
    await clientAs(subject, merchant).GET('/v1/events', { params: { query: { limit: 100 } } }),
    'events',
  );
  return listed.data.filter((event) => (event.data.object as { id?: unknown }).id === objectId).reverse();
}

function expectStateInvalid(response: ReturnType<typeof injectedResponse>): void {
  expect(response.statusCode).toBe(409);
  expect(response.json<{ error: { type: string; code: string } }>().error).toMatchObject({
    type: 'invalid_request_error',
    code: 'dispute_state_invalid',
  });
}

// Issue 16 part 5 (API.md "Disputes"). Here the simulated network opens a dispute only when a test says so (its delay
// is an hour, and a test moves the opening to now), so what happens before it (a refund) is not a race with a clock.
describe('disputes', () => {
  let subject: TestApp;
  let database: Database;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    subject = await startTestApp({
      ...fastProcessing,
      DISPUTE_DELAY_MS: String(3_600_000),
      DISPUTE_POLL_INTERVAL_MS: '100',
    });
    database = subject.app.get(Database);
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver.close();
    await subject.close();
  });

  async function journalTypes(paymentId: string): Promise<string[]> {
    const rows = await database.db.execute<{ type: string; amount: string }>(
      sql`SELECT type, amount::text FROM card_network_journal WHERE payment_id = ${paymentId} ORDER BY type, card_network_journal.amount`,
    );
    return rows.rows.map((row) => `${row.type}:${row.amount}`);
  }

  it('opens a dispute on the amount left after a refund, takes it and the fee from available, and is won', async () => {
    const merchant = await createMerchant(subject, 'Disputes won');
    await createEndpoint(subject, merchant, receiver.url(`/won-${merchant.id}`), ['*']);
    const payment = await disputedPayment(subject, merchant, 2500);
    expect(payment.disputed).toBe(false);
    const refund = await postAs(subject, merchant, '/v1/refunds', { payment_id: payment.id, amount: 400 }, uniqueKey());
    expect(refund.statusCode).toBe(201);
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(2100);
    // Read once, so the cached payment must be invalidated when the dispute marks it.
    expect((await getPayment(subject, merchant, payment.id)).disputed).toBe(false);

    await networkOpensDispute(subject, payment.id);
    const opened = await disputeOfPayment(subject, merchant, payment.id);
    expect(opened).toMatchObject({
      object: 'dispute',
      payment_id: payment.id,
      amount: 2100,
      currency: 'USD',
      fee: 1500,
      status: 'needs_response',
      reason: 'fraudulent',
      evidence: null,
    });
    const windowMs = Date.parse(opened.evidence_due_by) - Date.parse(opened.created_at);
    expect(windowMs).toBeGreaterThan(7 * dayMs - 60_000);
    expect(windowMs).toBeLessThan(7 * dayMs + 60_000);
    expect((await getPayment(subject, merchant, payment.id)).disputed).toBe(true);
    // Balances may go negative: 2100 available, 2100 + 1500 taken.
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(-1500);

    // A disputed payment cannot be refunded.
    const refused = await postAs(
      subject,
      merchant,
      '/v1/refunds',
      { payment_id: payment.id, amount: 100 },
      uniqueKey(),
    );
    expect(refused.statusCode).toBe(409);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe('payment_state_invalid');

    const evidence = await submitEvidence(subject, merchant, opened.id, 'signed delivery note: winning_evidence');
    expect(evidence.statusCode).toBe(200);
    const underReview = evidence.json<DisputeBody>();
    expect(underReview.status).toBe('under_review');
    expect(underReview.evidence).toEqual({
      text: 'signed delivery note: winning_evidence',
      submitted_at: expect.any(String) as string,
    });
    const won = await settledDispute(subject, merchant, opened.id);
    expect(won.status).toBe('won');
    // The amount comes back, the fee does not.
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(600);

    const types = (await eventsAbout(subject, merchant, opened.id)).map((event) => event.type);
    expect(types).toEqual(['dispute.created', 'dispute.updated', 'dispute.closed']);
    const delivered = await eventually(
      () =>
        Promise.resolve(
          receiver.deliveries
            .filter((delivery) => delivery.path === `/won-${merchant.id}`)
            .map((delivery) => JSON.parse(delivery.rawBody) as EventBody)
            .filter((event) => (event.data.object as { id?: unknown }).id === opened.id),
        ),
      (events) => events.length === 3,
      { what: 'the dispute webhooks' },
    );
    expect(delivered.map((event) => [event.type, (event.data.object as DisputeBody).status])).toEqual([
      ['dispute.created', 'needs_response'],
      ['dispute.updated', 'under_review'],
      ['dispute.closed', 'won'],
    ]);

    const entries = dataOf(
      await clientAs(subject, merchant).GET('/v1/ledger/entries', { params: { query: { limit: 100 } } }),
      'entries',
    ).data.filter((entry) => entry.dispute_id === opened.id);
    expect(entries.map((entry) => `${entry.transaction_type}/${entry.account}:${entry.amount}`).sort()).toEqual([
      'dispute_opened/merchant_available:3600',
      'dispute_opened/merchant_dispute_reserve:-2100',
      'dispute_won/merchant_available:-2100',
      'dispute_won/merchant_dispute_reserve:2100',
    ]);
    // The network charged its own fee on the dispute and journaled no loss.
    expect(await journalTypes(payment.id)).toEqual(['capture:2500', 'fee:10', 'fee:1500', 'refund:400']);
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('is lost on evidence that does not win; the evidence is idempotent and then refused', async () => {
    const merchant = await createMerchant(subject, 'Disputes lost by evidence');
    const payment = await disputedPayment(subject, merchant, 3000);
    await networkOpensDispute(subject, payment.id);
    const opened = await disputeOfPayment(subject, merchant, payment.id);
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(-1500);

    const key = uniqueKey('evidence');
    const first = await submitEvidence(subject, merchant, opened.id, 'a receipt', key);
    expect(first.statusCode).toBe(200);
    const replay = await submitEvidence(subject, merchant, opened.id, 'a receipt', key);
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(first.body);
    const reused = await submitEvidence(subject, merchant, opened.id, 'another receipt', key);
    expect(reused.statusCode).toBe(422);

    const lost = await settledDispute(subject, merchant, opened.id);
    expect(lost).toMatchObject({ status: 'lost', evidence: { text: 'a receipt' } });
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(-1500);
    expectStateInvalid(await submitEvidence(subject, merchant, opened.id, 'winning_evidence after all'));
    expectStateInvalid(await closeDispute(subject, merchant, opened.id));
    expect((await eventsAbout(subject, merchant, opened.id)).map((event) => event.type)).toEqual([
      'dispute.created',
      'dispute.updated',
      'dispute.closed',
    ]);
    expect(await journalTypes(payment.id)).toEqual(['capture:3000', 'dispute:3000', 'fee:11', 'fee:1500']);
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('is lost at once when the merchant closes it, with the fee in the currency’s minor units', async () => {
    const merchant = await createMerchant(subject, 'Disputes closed');
    const payment = await disputedPayment(subject, merchant, 5000, 'jpy');
    await networkOpensDispute(subject, payment.id);
    const opened = await disputeOfPayment(subject, merchant, payment.id);
    expect(opened).toMatchObject({ amount: 5000, currency: 'JPY', fee: 15, status: 'needs_response' });
    expect(available(await balanceOf(subject, merchant), 'JPY')).toBe(-15);

    const closed = await closeDispute(subject, merchant, opened.id);
    expect(closed.statusCode).toBe(200);
    expect(closed.json<DisputeBody>().status).toBe('lost');
    expect((await getDispute(subject, merchant, opened.id)).status).toBe('lost');
    expectStateInvalid(await closeDispute(subject, merchant, opened.id));
    expectStateInvalid(await submitEvidence(subject, merchant, opened.id, 'winning_evidence'));
    expect(available(await balanceOf(subject, merchant), 'JPY')).toBe(-15);
    expect((await eventsAbout(subject, merchant, opened.id)).map((event) => event.type)).toEqual([
      'dispute.created',
      'dispute.closed',
    ]);
    // The acceptance reached the network, which journals the loss.
    await eventually(
      () => journalTypes(payment.id),
      (types) => types.includes('dispute:5000'),
      { what: 'the loss in the network journal' },
    );
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('refuses evidence from evidence_due_by on, before the deadline job has run', async () => {
    const merchant = await createMerchant(subject, 'Disputes late evidence');
    const payment = await disputedPayment(subject, merchant, 1300);
    await networkOpensDispute(subject, payment.id);
    const opened = await disputeOfPayment(subject, merchant, payment.id);
    // The moment between the due time and its job: still needs_response, and too late.
    await database.db.execute(sql`UPDATE disputes SET evidence_due_by = now() WHERE id = ${opened.id}`);
    const late = await submitEvidence(subject, merchant, opened.id, 'winning_evidence');
    expectStateInvalid(late);
    expect(late.json<{ error: { message: string } }>().error.message).toMatch(/was due by/);
    expect((await getDispute(subject, merchant, opened.id)).status).toBe('needs_response');
  });

  it('makes the verifier report a dispute whose stored money and postings disagree', async () => {
    const merchant = await createMerchant(subject, 'Disputes verified');
    const payment = await disputedPayment(subject, merchant, 1400);
    await networkOpensDispute(subject, payment.id);
    const opened = await disputeOfPayment(subject, merchant, payment.id);
    expect((await closeDispute(subject, merchant, opened.id)).statusCode).toBe(200);
    try {
      await database.db.execute(sql`UPDATE disputes SET amount = amount + 1 WHERE id = ${opened.id}`);
      const verification = await verifyLedger(subject);
      expect(verification.balanced).toBe(false);
      expect(verification.mismatches.filter((mismatch) => mismatch.id === opened.id)).toEqual([
        {
          check: 'dispute_postings',
          id: opened.id,
          currency: 'USD',
          account: 'dispute_lost/merchant_dispute_reserve',
          expected: '1401',
          actual: '1400',
        },
        {
          check: 'dispute_postings',
          id: opened.id,
          currency: 'USD',
          account: 'dispute_lost/network_clearing',
          expected: '-1401',
          actual: '-1400',
        },
        {
          check: 'dispute_postings',
          id: opened.id,
          currency: 'USD',
          account: 'dispute_opened/merchant_available',
          expected: '2901',
          actual: '2900',
        },
        {
          check: 'dispute_postings',
          id: opened.id,
          currency: 'USD',
          account: 'dispute_opened/merchant_dispute_reserve',
          expected: '-1401',
          actual: '-1400',
        },
      ]);
    } finally {
      await database.db.execute(sql`UPDATE disputes SET amount = amount - 1 WHERE id = ${opened.id}`);
    }
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('lists by payment and status, hides other merchants’ disputes, and refuses bad input', async () => {
    const merchant = await createMerchant(subject, 'Disputes listed');
    const stranger = await createMerchant(subject, 'Disputes stranger');
    const payments = [await disputedPayment(subject, merchant, 1000), await disputedPayment(subject, merchant, 1100)];
    for (const payment of payments) await networkOpensDispute(subject, payment.id);
    const [older, newer] = [
      await disputeOfPayment(subject, merchant, payments[0]!.id),
      await disputeOfPayment(subject, merchant, payments[1]!.id),
    ];
    expect((await closeDispute(subject, merchant, older.id)).statusCode).toBe(200);

    const all = await disputesOf(subject, merchant);
    expect(all.data.map((dispute) => dispute.id).sort()).toEqual([older.id, newer.id].sort());
    expect((await disputesOf(subject, merchant, { status: 'lost' })).data.map((dispute) => dispute.id)).toEqual([
      older.id,
    ]);
    expect((await disputesOf(subject, merchant, { status: 'needs_response' })).data.map((d) => d.id)).toEqual([
      newer.id,
    ]);
    const first = await disputesOf(subject, merchant, { limit: 1 });
    expect(first.has_more).toBe(true);
    const second = await disputesOf(subject, merchant, { limit: 1, starting_after: first.data[0]!.id });
    expect([...first.data, ...second.data].map((dispute) => dispute.id).sort()).toEqual([older.id, newer.id].sort());
    expect((await disputesOf(subject, stranger)).data).toEqual([]);

    const asStranger = await clientAs(subject, stranger).GET('/v1/disputes/{id}', {
      params: { path: { id: newer.id } },
    });
    expect(asStranger.response.status).toBe(404);
    expect((await submitEvidence(subject, stranger, newer.id, 'mine')).statusCode).toBe(404);
    expect((await closeDispute(subject, stranger, newer.id)).statusCode).toBe(404);
    const malformed = await subject.inject({ method: 'GET', url: '/v1/disputes/dp_nope', headers: merchant.headers });
    expect(malformed.statusCode).toBe(404);

    const badQueries = ['limit=0', 'limit=101', 'status=open', 'payment_id=re_x', 'colour=red'];
    for (const query of badQueries) {
      const response = await subject.inject({ method: 'GET', url: `/v1/disputes?${query}`, headers: merchant.headers });
      expect([query, response.statusCode]).toEqual([query, 400]);
    }
    const tooLong = await submitEvidence(subject, merchant, newer.id, 'x'.repeat(20_001));
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json<{ error: { param: string } }>().error.param).toBe('text');
    expect((await submitEvidence(subject, merchant, newer.id, 42)).statusCode).toBe(400);
    const unknownField = await subject.inject({
      method: 'POST',
      url: `/v1/disputes/${newer.id}/evidence`,
      headers: merchant.headers,
      payload: { text: 'ok', files: [] },
    });
    expect(unknownField.statusCode).toBe(400);
    expect(unknownField.json<{ error: { code: string } }>().error.code).toBe('parameter_unknown');
    // The longest evidence allowed is taken.
    const longest = await submitEvidence(subject, merchant, newer.id, 'y'.repeat(20_000));
    expect(longest.statusCode).toBe(200);
    await settledDispute(subject, merchant, newer.id);
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });
});

// The network's own clock: the dispute opens DISPUTE_DELAY_MS after the capture, and without evidence it is lost at
// evidence_due_by (a job then), after which evidence is refused.
describe('a dispute nobody answers', () => {
  let subject: TestApp;
  const evidenceWindowMs = 1_500;

  beforeAll(async () => {
    subject = await startTestApp({
      ...fastProcessing,
      DISPUTE_DELAY_MS: '200',
      DISPUTE_POLL_INTERVAL_MS: '100',
      DISPUTE_EVIDENCE_WINDOW_MS: String(evidenceWindowMs),
    });
  });
  afterAll(async () => {
    await subject.close();
  });

  it('opens by itself after the delay and is lost at the deadline', async () => {
    const merchant = await createMerchant(subject, 'Disputes deadline');
    const payment = await disputedPayment(subject, merchant, 1200, 'eur');
    const opened = await disputeOfPayment(subject, merchant, payment.id);
    expect(opened).toMatchObject({ amount: 1200, currency: 'EUR', fee: 1500 });
    expect(Date.parse(opened.evidence_due_by)).toBeGreaterThan(Date.parse(payment.updated_at));
    const lost = await settledDispute(subject, merchant, opened.id);
    expect(lost).toMatchObject({ status: 'lost', evidence: null });
    expect(Date.parse(lost.updated_at)).toBeGreaterThanOrEqual(Date.parse(opened.evidence_due_by));
    expectStateInvalid(await submitEvidence(subject, merchant, opened.id, 'winning_evidence, too late'));
    expect(available(await balanceOf(subject, merchant), 'EUR')).toBe(-1500);
    expect((await eventsAbout(subject, merchant, opened.id)).map((event) => event.type)).toEqual([
      'dispute.created',
      'dispute.closed',
    ]);
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });
});
