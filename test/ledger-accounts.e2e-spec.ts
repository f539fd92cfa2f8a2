import { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { Database } from '../src/database/database';
import { postingsForAutomaticCapture } from '../src/ledger/ledger-transaction';
import { LedgerService } from '../src/ledger/ledger.service';
import { AUTHORIZE_PAYMENT_JOB, PAYMENTS_QUEUE } from '../src/payments/payments.constants';
import {
  createMerchant,
  createPayment,
  eventually,
  type Merchant,
  type PaymentBody,
  paymentBody,
  settledPayment,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { verifyLedger } from './support/money';
import { startTestApp, type TestApp } from './support/test-app';

// The report of issue #11: four fresh merchants, 40 concurrent payments each, in a currency nobody had used.
const merchantCount = 4;
const paymentsPerMerchant = 40;

describe('ledger accounts created by concurrent and rolled-back transactions', () => {
  let subject: TestApp;
  let database: Database;
  let ledger: LedgerService;
  let queue: Queue;

  beforeAll(async () => {
    // More workers (and connections for them) than the default, so that more authorizations of one fresh
    // currency overlap.
    subject = await startTestApp({ ...fastProcessing, PAYMENT_WORKER_CONCURRENCY: '32', DATABASE_POOL_SIZE: '40' });
    database = subject.app.get(Database);
    ledger = subject.app.get(LedgerService);
    queue = new Queue(PAYMENTS_QUEUE, {
      connection: { url: subject.config.redis.url },
      prefix: subject.config.redis.queuePrefix,
    });
  });
  afterAll(async () => {
    await queue.close();
    await subject.close();
  });

  async function accountsIn(currency: string): Promise<number> {
    const result = await database.db.execute<{ count: string }>(
      sql`SELECT count(*) FROM ledger_accounts WHERE currency = ${currency}`,
    );
    return Number(result.rows[0]!.count);
  }

  it('keeps later postings working after a transaction that created the accounts rolled back', async () => {
    const merchant = await createMerchant(subject, 'Rolled back');
    const currency = 'SEK';
    const postings = postingsForAutomaticCapture({
      merchantId: merchant.id,
      currency,
      amountMinor: 1099,
      feeMinor: 30,
    });
    // Any payment of the merchant will do: the transaction that names it never commits.
    const earlier = await createPayment(subject, merchant);
    const paymentId = earlier.json<PaymentBody>().id;
    const rolledBack = new Error('rolled back on purpose');

    const outcome = await database
      .transaction(async (tx) => {
        await ledger.record(tx, { kind: 'authorization_hold', merchantId: merchant.id, paymentId, postings });
        throw rolledBack;
      })
      .catch((error: unknown) => error);
    expect(outcome).toBe(rolledBack);
    expect(await accountsIn(currency)).toBe(0);

    // The next postings to those accounts (a payment's capture in that currency) create them again and commit.
    const created = await createPayment(subject, merchant, paymentBody({ currency: currency.toLowerCase() }));
    const payment = await settledPayment(subject, merchant, created.json<PaymentBody>().id);
    expect(payment).toMatchObject({ status: 'succeeded', amount_captured: 1099 });
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('authorizes every payment on its first attempt when fresh merchants start using a new currency at once', async () => {
    const currency = 'NOK';
    expect(await accountsIn(currency)).toBe(0);
    const merchants: Merchant[] = [];
    for (let index = 0; index < merchantCount; index += 1) {
      merchants.push(await createMerchant(subject, `Fresh ${index}`));
    }
    // The jobs are held until all of them are queued, so that the authorizations start together, as in the
    // report; the requests themselves go a few at a time, which is not what this test is about.
    await queue.pause();
    const created: { merchant: Merchant; id: string }[] = [];
    for (let index = 0; index < paymentsPerMerchant; index += 1) {
      const wave = await Promise.all(
        merchants.map(async (merchant) => {
          const response = await createPayment(subject, merchant, paymentBody({ currency: 'nok' }));
          expect(response.statusCode).toBe(202);
          return { merchant, id: response.json<PaymentBody>().id };
        }),
      );
      created.push(...wave);
    }
    const ids = new Set(created.map((payment) => payment.id));
    await eventually(
      () => queue.getWaitingCount(),
      (waiting) => waiting >= ids.size,
      { what: 'every authorization job queued' },
    );
    await queue.resume();

    const jobs = await eventually(
      async () => {
        const completed = await queue.getJobs(['completed', 'failed', 'delayed', 'wait', 'active']);
        return completed.filter(
          (job) => job.name === AUTHORIZE_PAYMENT_JOB && ids.has((job.data as { paymentId: string }).paymentId),
        );
      },
      (found) => found.length === ids.size && found.every((job) => job.finishedOn !== undefined),
      { deadlineMs: 30_000, what: 'every authorization job finishing' },
    );
    const retried = jobs
      .filter((job) => job.attemptsMade !== 1 || job.failedReason)
      .map((job) => ({ id: job.id, attemptsMade: job.attemptsMade, failedReason: job.failedReason }));
    expect(retried).toEqual([]);

    for (const { merchant, id } of created) {
      expect((await settledPayment(subject, merchant, id)).status).toBe('succeeded');
    }
    const verification = await verifyLedger(subject);
    expect(verification).toMatchObject({ balanced: true, mismatches: [] });
    // One account per kind, merchant and currency, however many transactions raced to create it.
    const duplicates = await database.db.execute(
      sql`SELECT kind, merchant_id FROM ledger_accounts WHERE currency = ${currency}
          GROUP BY kind, merchant_id HAVING count(*) > 1`,
    );
    expect(duplicates.rows).toEqual([]);
  });
});
