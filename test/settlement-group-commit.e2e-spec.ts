import { type Job, Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { Database } from '../src/database/database';
import { CardVault } from '../src/payments/card/card-vault.service';
import { PaymentsProcessor } from '../src/payments/payments.processor';
import {
  AUTHORIZE_PAYMENT_JOB,
  type AuthorizePaymentJobData,
  PAYMENTS_QUEUE,
} from '../src/payments/payments.constants';
import {
  createMerchant,
  createPayment,
  eventually,
  getPayment,
  type Merchant,
  type PaymentBody,
  paymentBody,
  testCards,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { available, balanceOf, postAs, verifyLedger } from './support/money';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * Settlement by group commit: the outcomes of authorization jobs that run at the same time are committed together
 * (PaymentsService.completeAuthorization), and every guarantee of a payment settled alone still holds.
 */
describe('authorization outcomes settled by group commit', () => {
  let subject: TestApp;
  let database: Database;
  let queue: Queue;

  beforeAll(async () => {
    subject = await startTestApp(fastProcessing);
    database = subject.app.get(Database);
    queue = new Queue(PAYMENTS_QUEUE, {
      connection: { url: subject.config.redis.url },
      prefix: subject.config.redis.queuePrefix,
    });
  });
  afterEach(async () => {
    await queue.resume();
  });
  afterAll(async () => {
    await queue.close();
    await subject.close();
  });

  const ids = (payments: readonly { id: string }[]) => sql.param(payments.map((payment) => payment.id));

  /** How many transactions wrote these payments' ledger transactions (xmin: the transaction that inserted a row). */
  // The settlement's own transactions, without the network's fees (a sale's fee is committed with them).
  async function ledgerCommits(
    payments: readonly { id: string }[],
  ): Promise<{ transactions: number; commits: number }> {
    const result = await database.db.execute<{ transactions: string; commits: string }>(sql`
      SELECT count(*) AS transactions, count(DISTINCT xmin::text) AS commits
        FROM ledger_transactions WHERE payment_id = ANY(${ids(payments)}::text[]) AND kind <> 'network_fee'`);
    return { transactions: Number(result.rows[0]!.transactions), commits: Number(result.rows[0]!.commits) };
  }

  /** How many transactions last wrote these payments' rows: the ones that moved them out of processing. */
  async function settlementCommits(payments: readonly { id: string }[]): Promise<number> {
    const result = await database.db.execute<{ count: string }>(
      sql`SELECT count(DISTINCT xmin::text) AS count FROM payments WHERE id = ANY(${ids(payments)}::text[])`,
    );
    return Number(result.rows[0]!.count);
  }

  /** Each payment's ledger transactions (kind and merchant), by payment id. */
  async function ledgerTransactionsByPayment(payments: readonly { id: string }[]) {
    const result = await database.db.execute<{ payment_id: string; kind: string; merchant_id: string }>(sql`
      SELECT payment_id, kind, merchant_id FROM ledger_transactions
       WHERE payment_id = ANY(${ids(payments)}::text[]) AND kind <> 'network_fee' ORDER BY kind`);
    const byPayment = new Map<string, { kind: string; merchantId: string }[]>();
    for (const row of result.rows) {
      byPayment.set(row.payment_id, [
        ...(byPayment.get(row.payment_id) ?? []),
        { kind: row.kind, merchantId: row.merchant_id },
      ]);
    }
    return byPayment;
  }

  /** Each payment's events (type and merchant) in the order they were recorded (and are published). */
  async function eventsByPayment(payments: readonly { id: string }[]) {
    const result = await database.db.execute<{ object_id: string; type: string; merchant_id: string }>(sql`
      SELECT object_id, type, merchant_id FROM events
       WHERE object_id = ANY(${ids(payments)}::text[]) ORDER BY sequence`);
    const byPayment = new Map<string, { type: string; merchantId: string }[]>();
    for (const row of result.rows) {
      byPayment.set(row.object_id, [
        ...(byPayment.get(row.object_id) ?? []),
        { type: row.type, merchantId: row.merchant_id },
      ]);
    }
    return byPayment;
  }

  /** Creates the payments with the payments queue paused, so that their authorization jobs start together. */
  async function createHeld(requests: readonly { merchant: Merchant; body: unknown }[]) {
    await queue.pause();
    const created = await Promise.all(
      requests.map(async ({ merchant, body }) => {
        const response = await createPayment(subject, merchant, body);
        expect(response.statusCode).toBe(202);
        return { merchant, id: response.json<PaymentBody>().id };
      }),
    );
    const wanted = new Set(created.map((payment) => payment.id));
    await eventually(
      async () => (await queue.getJobs(['wait'])).filter((job) => wanted.has(job.data.paymentId)).length,
      (queued) => queued === wanted.size,
      { what: 'every authorization job queued' },
    );
    return created;
  }

  /** An authorization job as the queue would hand it to the processor (run directly, racing the queue's own). */
  function authorizationJob(paymentId: string, merchantId: string, label: string): Job<AuthorizePaymentJobData> {
    return {
      id: `${label}-${paymentId}`,
      name: AUTHORIZE_PAYMENT_JOB,
      data: { paymentId, merchantId },
      attemptsMade: 0,
      opts: { attempts: 5 },
    } as unknown as Job<AuthorizePaymentJobData>;
  }

  async function allSettled(payments: readonly { merchant: Merchant; id: string }[]) {
    return eventually(
      () => Promise.all(payments.map(({ merchant, id }) => getPayment(subject, merchant, id))),
      (found) => found.every((payment) => payment.status !== 'processing'),
      { deadlineMs: 30_000, what: 'every payment settled' },
    );
  }

  it('commits concurrent outcomes in fewer transactions than payments, each payment moved and posted once, per merchant', async () => {
    const merchants = [
      await createMerchant(subject, 'Batch A'),
      await createMerchant(subject, 'Batch B'),
      await createMerchant(subject, 'Batch C'),
    ];
    // Per merchant: automatic captures, manual authorizations and declines, in one burst.
    const kinds = ['automatic', 'manual', 'declined'] as const;
    const requests = Array.from({ length: 45 }, (_, index) => {
      const merchant = merchants[index % merchants.length]!;
      const kind = kinds[Math.floor(index / merchants.length) % kinds.length]!;
      const amount = 1_000 + index;
      const body =
        kind === 'declined'
          ? paymentBody({ amount }, { number: testCards.declined })
          : paymentBody({ amount, capture_method: kind === 'manual' ? 'manual' : 'automatic' });
      return { merchant, body, kind, amount };
    });
    const created = await createHeld(requests);
    const before = await Promise.all(
      merchants.map(async (merchant) => available(await balanceOf(subject, merchant), 'USD')),
    );
    await queue.resume();
    const settled = await allSettled(created);

    const expectedStatus = { automatic: 'succeeded', manual: 'requires_capture', declined: 'failed' } as const;
    expect(settled.map((payment) => payment.status)).toEqual(requests.map(({ kind }) => expectedStatus[kind]));
    // Batched: fewer transactions than payments moved them, and wrote their ledger transactions.
    expect(await settlementCommits(created)).toBeLessThan(created.length);
    const ledger = await ledgerCommits(created);
    expect(ledger.transactions).toBe(30);
    expect(ledger.commits).toBeLessThan(ledger.transactions);

    // Exactly one ledger transaction per approved payment, of its own merchant; none for a decline.
    const transactions = await ledgerTransactionsByPayment(created);
    const expectedLedger = { automatic: ['payment_capture'], manual: ['authorization_hold'], declined: [] };
    for (const [index, { merchant, id }] of created.entries()) {
      const own = transactions.get(id) ?? [];
      expect(own.map((transaction) => transaction.kind)).toEqual(expectedLedger[requests[index]!.kind]);
      expect(own.every((transaction) => transaction.merchantId === merchant.id)).toBe(true);
    }
    // Each merchant's balance moved by its own captures only (no fees configured), and equals its postings.
    for (const [position, merchant] of merchants.entries()) {
      const captured = requests
        .filter((request) => request.merchant === merchant && request.kind === 'automatic')
        .reduce((sum, request) => sum + request.amount, 0);
      expect(available(await balanceOf(subject, merchant), 'USD') - before[position]!).toBe(captured);
    }
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });

    // Events: each payment's own, in order, under its merchant.
    const events = await eventsByPayment(created);
    for (const [index, { merchant, id }] of created.entries()) {
      expect(events.get(id)).toEqual([
        { type: 'payment.processing', merchantId: merchant.id },
        { type: `payment.${expectedStatus[requests[index]!.kind]}`, merchantId: merchant.id },
      ]);
    }
    // The vault: a final payment's card is gone; an authorization keeps the number for its capture, not the CVC.
    const vault = subject.app.get(CardVault);
    const tokens = await database.db.execute<{ id: string; vault_token: string | null }>(
      sql`SELECT id, vault_token FROM payments WHERE id = ANY(${ids(created)}::text[])`,
    );
    const tokenOf = new Map(tokens.rows.map((row) => [row.id, row.vault_token]));
    for (const [index, { id }] of created.entries()) {
      const token = tokenOf.get(id);
      if (requests[index]!.kind !== 'manual') {
        expect(token).toBeNull();
        continue;
      }
      const card = await vault.read(token!);
      expect(card).toMatchObject({ number: testCards.visa, cvc: null });
    }
    // One expiry job per authorization.
    const manual = created.filter((_, index) => requests[index]!.kind === 'manual');
    const expiries = await database.db.execute<{ count: string }>(sql`
      SELECT count(*) AS count FROM outbox
       WHERE topic = 'payment.expire_authorization' AND payload->>'paymentId' = ANY(${ids(manual)}::text[])`);
    expect(Number(expiries.rows[0]!.count)).toBe(manual.length);

    // The authorizations' captures follow their settlement, in each payment's event order.
    for (const { merchant, id } of manual) {
      const captured = await postAs(subject, merchant, `/v1/payments/${id}/capture`);
      expect(captured.statusCode).toBe(200);
    }
    const afterCapture = await eventsByPayment(manual);
    for (const { id } of manual) {
      expect(afterCapture.get(id)?.map((event) => event.type)).toEqual([
        'payment.processing',
        'payment.requires_capture',
        'payment.succeeded',
      ]);
    }
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('moves and posts each payment once when its job runs twice at once, in the same batch or in two', async () => {
    const merchant = await createMerchant(subject, 'Twice');
    const created = await createHeld(Array.from({ length: 20 }, () => ({ merchant, body: paymentBody() })));
    const processor = subject.app.get(PaymentsProcessor);
    const jobOf = (id: string) => authorizationJob(id, merchant.id, 'twice');
    // Two executions of each job at once (their outcomes may share a batch), and a third a little later.
    const runs = await Promise.all(
      created.flatMap(({ id }) => [
        processor.process(jobOf(id)),
        processor.process(jobOf(id)),
        new Promise((resolve) => setImmediate(resolve)).then(() => processor.process(jobOf(id))),
      ]),
    );
    const outcomes = created.map((_, index) => runs.slice(index * 3, index * 3 + 3).map((run) => run.outcome));
    for (const outcome of outcomes) {
      expect(outcome.filter((value) => value === 'succeeded')).toHaveLength(1);
      expect(outcome.filter((value) => value !== 'succeeded').every((value) => value === 'already_final')).toBe(true);
    }
    expect(await settlementCommits(created)).toBeLessThan(created.length);
    // The queue's own jobs then run too, and change nothing.
    await queue.resume();
    const wanted = new Set(created.map((payment) => payment.id));
    await eventually(
      async () => (await queue.getJobs(['completed'])).filter((job) => wanted.has(job.data.paymentId)),
      (done) => done.length === wanted.size && done.every((job) => job.returnvalue?.outcome === 'already_final'),
      { what: 'the queued jobs run, changing nothing' },
    );
    const transactions = await ledgerTransactionsByPayment(created);
    const events = await eventsByPayment(created);
    for (const { id } of created) {
      expect(transactions.get(id)).toEqual([{ kind: 'payment_capture', merchantId: merchant.id }]);
      expect(events.get(id)?.map((event) => event.type)).toEqual(['payment.processing', 'payment.succeeded']);
    }
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(20 * 1099);
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('answers each job of a read batch as if read alone: a card no key opens fails only its own job', async () => {
    const merchant = await createMerchant(subject, 'Read together');
    const other = await createMerchant(subject, 'Other');
    const created = await createHeld(Array.from({ length: 10 }, () => ({ merchant, body: paymentBody() })));
    // One entry made unreadable: another entry's sealed card copied onto its token (bound to the token, it no longer
    // opens), as in the vault-rotation test.
    const [broken, donor] = created;
    const tokens = await database.db.execute<{ id: string; vault_token: string }>(
      sql`SELECT id, vault_token FROM payments WHERE id = ANY(${ids([broken!, donor!])}::text[])`,
    );
    const tokenOf = new Map(tokens.rows.map((row) => [row.id, row.vault_token]));
    await database.db.execute(sql`
      UPDATE card_vault SET sealed = (SELECT sealed FROM card_vault WHERE token = ${tokenOf.get(donor!.id)!})
       WHERE token = ${tokenOf.get(broken!.id)!}`);
    const processor = subject.app.get(PaymentsProcessor);
    // All at once, so that they are read by one batch: the payments, a forged job naming another merchant, and one
    // naming no payment at all.
    const runs = await Promise.allSettled([
      ...created.map(({ id }) => processor.process(authorizationJob(id, merchant.id, 'together'))),
      processor.process(authorizationJob(created[2]!.id, other.id, 'forged')),
      processor.process(authorizationJob('pay_000000000000000000000000', merchant.id, 'unknown')),
    ]);
    const [brokenRun, ...goodRuns] = runs.slice(0, created.length);
    expect(brokenRun).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/failed authentication/) },
    });
    expect(goodRuns).toEqual(goodRuns.map(() => ({ status: 'fulfilled', value: { outcome: 'succeeded' } })));
    expect(runs.slice(created.length)).toEqual([
      { status: 'fulfilled', value: { outcome: 'wrong_merchant' } },
      { status: 'fulfilled', value: { outcome: 'unknown_payment' } },
    ]);
    expect((await getPayment(subject, merchant, broken!.id)).status).toBe('processing');
    const transactions = await ledgerTransactionsByPayment(created);
    expect(transactions.get(broken!.id)).toBeUndefined();
    for (const { id } of created.slice(1)) {
      expect(transactions.get(id)).toEqual([{ kind: 'payment_capture', merchantId: merchant.id }]);
    }
  });
});
