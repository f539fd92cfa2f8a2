import { type Job, Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { newId } from '../src/common/ids';
import { Database } from '../src/database/database';
import { AUTHORIZE_PAYMENT_JOB, EXPIRE_AUTHORIZATION_JOB, PAYMENTS_QUEUE } from '../src/payments/payments.constants';
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
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { balanceOf } from './support/money';
import { startTestApp, type TestApp } from './support/test-app';

// Forged jobs are added straight to the payments queue, as anyone who can write to the queue Redis could.
// Each gets the retry budget of a real job, so a job that is not refused once and for all would be seen retrying.
const forgedAttemptsMax = 5;
let forgedCount = 0;

interface LedgerEntries {
  data: { id: string; transaction_type: string; payment_id: string | null; amount: number; created_at: string }[];
}

async function ledgerEntriesOf(subject: TestApp, merchant: Merchant): Promise<LedgerEntries> {
  const response = await subject.inject({
    method: 'GET',
    url: '/v1/ledger/entries?limit=100',
    headers: merchant.headers,
  });
  if (response.statusCode !== 200) throw new Error(`ledger entries: ${response.statusCode} ${response.body}`);
  return response.json<LedgerEntries>();
}

/** What a merchant can see of its money: the balance and every ledger entry. */
async function moneyOf(subject: TestApp, merchant: Merchant) {
  return { balance: await balanceOf(subject, merchant), entries: await ledgerEntriesOf(subject, merchant) };
}

function forge(queue: Queue, name: string, data: unknown): Promise<Job> {
  forgedCount += 1;
  return queue.add(name, data, {
    jobId: `forged-${forgedCount}`,
    attempts: forgedAttemptsMax,
    backoff: { type: 'fixed', delay: 20 },
    removeOnComplete: false,
    removeOnFail: false,
  });
}

/** The job once it has completed or failed for good. */
async function finished(queue: Queue, jobId: string): Promise<Job> {
  await eventually(
    async () => (await queue.getJob(jobId))?.getState(),
    (state) => state === 'completed' || state === 'failed',
    { what: `job ${jobId} finishing` },
  );
  return (await queue.getJob(jobId))!;
}

describe('forged payments jobs', () => {
  let subject: TestApp;
  let database: Database;
  let queue: Queue;
  let merchant: Merchant;
  let otherMerchant: Merchant;

  beforeAll(async () => {
    subject = await startTestApp(fastProcessing);
    database = subject.app.get(Database);
    queue = new Queue(PAYMENTS_QUEUE, {
      connection: { url: subject.config.redis.url },
      prefix: subject.config.redis.queuePrefix,
    });
    merchant = await createMerchant(subject, 'Victim');
    otherMerchant = await createMerchant(subject, 'Other');
  });
  afterAll(async () => {
    await queue.close();
    await subject.close();
  });

  async function authorized(owner: Merchant, card: string = testCards.visa): Promise<PaymentBody> {
    const created = await createPayment(subject, owner, paymentBody({ capture_method: 'manual' }, { number: card }));
    const payment = await settledPayment(subject, owner, created.json<PaymentBody>().id);
    expect(payment.status).toBe('requires_capture');
    return payment;
  }

  /**
   * A payment left in `processing` with its real authorization job removed, so that only the jobs a test adds
   * can act on it. The queue is paused while the relay queues the real job, so no worker can take it first.
   */
  async function processingWithoutItsJob(owner: Merchant, card: string): Promise<string> {
    await queue.pause();
    try {
      const created = await createPayment(subject, owner, paymentBody({}, { number: card }));
      expect(created.statusCode).toBe(202);
      const paymentId = created.json<PaymentBody>().id;
      const jobId = await eventually(
        async () =>
          (
            await database.db.execute<{ id: string }>(
              sql`SELECT id FROM outbox WHERE topic = 'payment.authorize' AND sent_at IS NOT NULL
                  AND payload->>'paymentId' = ${paymentId}`,
            )
          ).rows[0]?.id,
        (id) => id !== undefined,
        { what: `the authorization job of ${paymentId} being queued` },
      );
      const job = await queue.getJob(jobId!);
      // A paused queue keeps its jobs waiting: no worker has taken this one.
      expect(await job?.getState()).toBe('waiting');
      await job!.remove();
      return paymentId;
    } finally {
      await queue.resume();
    }
  }

  async function vaultEntryOf(paymentId: string) {
    const result = await database.db.execute<{ token: string; sealed: Buffer; key_id: string | null }>(
      sql`SELECT v.token, v.sealed, v.key_id FROM payments p JOIN card_vault v ON v.token = p.vault_token
          WHERE p.id = ${paymentId}`,
    );
    return result.rows[0];
  }

  it('charges a payment only on its own card when the job names another payment’s vault token', async () => {
    const holder = await authorized(merchant, testCards.visa);
    const holderEntry = await vaultEntryOf(holder.id);
    expect(holderEntry).toBeDefined();
    // The victim's own card is declined: a job that charged the holder's approved card instead would succeed.
    const victimId = await processingWithoutItsJob(merchant, testCards.declined);
    const before = await moneyOf(subject, merchant);

    // The shape jobs had before issue #10, with another payment's vault token in it.
    const job = await forge(queue, AUTHORIZE_PAYMENT_JOB, { paymentId: victimId, vaultToken: holderEntry!.token });
    const done = await finished(queue, job.id!);

    expect(await getPayment(subject, merchant, victimId)).toMatchObject({
      status: 'failed',
      failure_code: 'card_declined',
      amount_captured: 0,
    });
    expect(await moneyOf(subject, merchant)).toEqual(before);
    expect(await getPayment(subject, merchant, holder.id)).toMatchObject({
      status: 'requires_capture',
      amount_capturable: holder.amount,
    });
    expect(await vaultEntryOf(holder.id)).toEqual(holderEntry);
    expect(await done.getState()).toBe('completed');
    expect(done.returnvalue).toEqual({ outcome: 'failed' });
  });

  it('charges no card but the payment’s own, even when its row is made to point at another vault entry', async () => {
    const holder = await authorized(merchant, testCards.visa);
    const holderEntry = await vaultEntryOf(holder.id);
    const victimId = await processingWithoutItsJob(merchant, testCards.declined);
    // Someone with write access to PostgreSQL swaps the token; the job itself is genuine.
    await database.db.execute(sql`UPDATE payments SET vault_token = ${holderEntry!.token} WHERE id = ${victimId}`);
    const before = await moneyOf(subject, merchant);

    const job = await forge(queue, AUTHORIZE_PAYMENT_JOB, { paymentId: victimId, merchantId: merchant.id });
    const done = await finished(queue, job.id!);

    expect(await getPayment(subject, merchant, victimId)).toMatchObject({ status: 'processing', amount_captured: 0 });
    expect(await moneyOf(subject, merchant)).toEqual(before);
    expect(await vaultEntryOf(holder.id)).toEqual(holderEntry);
    expect(await done.getState()).toBe('completed');
    expect(done.returnvalue).toEqual({ outcome: 'card_mismatch' });
  });

  it('does not cancel an authorization before its stored expiry, whatever the job says', async () => {
    const payment = await authorized(merchant);
    const before = await moneyOf(subject, merchant);
    // The default window is 7 days; the old job shape also claims it is already past.
    const jobs = [
      await forge(queue, EXPIRE_AUTHORIZATION_JOB, { paymentId: payment.id, merchantId: merchant.id }),
      await forge(queue, EXPIRE_AUTHORIZATION_JOB, { paymentId: payment.id, expiresAt: new Date(0).toISOString() }),
    ];
    const ran = [];
    for (const job of jobs) {
      ran.push(
        await eventually(
          async () => {
            // The state first, then the job: read the other way round, a job read while it ran (delay not yet
            // moved) could be paired with the state it reached just after.
            const state = await queue.getJobState(job.id!);
            const current = await queue.getJob(job.id!);
            return { state, processedOn: current?.processedOn, delay: current?.delay };
          },
          (current) => current.state !== 'waiting' && current.state !== 'active',
          { what: `job ${job.id} running` },
        ),
      );
    }
    expect(await getPayment(subject, merchant, payment.id)).toMatchObject({
      status: 'requires_capture',
      amount_capturable: payment.amount,
    });
    expect(await moneyOf(subject, merchant)).toEqual(before);

    // Each early job has run and moved itself to the stored expiry.
    const stored = await database.db.execute<{ expires_at_ms: number }>(
      sql`SELECT (extract(epoch FROM authorization_expires_at) * 1000)::float8 AS expires_at_ms
          FROM payments WHERE id = ${payment.id}`,
    );
    const expiresAtMs = stored.rows[0]!.expires_at_ms;
    expect(expiresAtMs).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    for (const job of ran) {
      expect(job.state).toBe('delayed');
      expect(Math.abs(job.processedOn! + job.delay! - expiresAtMs)).toBeLessThan(10_000);
    }
  });

  it('changes nothing for a job about a payment that does not exist', async () => {
    const before = await moneyOf(subject, merchant);
    const unknown = newId('pay');
    const jobs = [
      await forge(queue, AUTHORIZE_PAYMENT_JOB, { paymentId: unknown, merchantId: merchant.id }),
      await forge(queue, AUTHORIZE_PAYMENT_JOB, { paymentId: unknown, vaultToken: newId('cv') }),
      await forge(queue, EXPIRE_AUTHORIZATION_JOB, { paymentId: unknown, merchantId: merchant.id }),
    ];
    const done = [];
    for (const job of jobs) done.push(await finished(queue, job.id!));
    expect(await moneyOf(subject, merchant)).toEqual(before);
    for (const job of done) {
      expect(await job.getState()).toBe('completed');
      expect(job.returnvalue).toEqual({ outcome: 'unknown_payment' });
      expect(job.attemptsMade).toBe(1);
    }
  });

  it('changes nothing for a job that names another merchant as the owner', async () => {
    const processingId = await processingWithoutItsJob(merchant, testCards.visa);
    const dueAuthorization = await authorized(merchant);
    // Due now by its stored expiry, while its real job still waits out the 7-day window.
    await database.db.execute(
      sql`UPDATE payments SET authorization_expires_at = now() - interval '1 second' WHERE id = ${dueAuthorization.id}`,
    );
    const before = await moneyOf(subject, merchant);
    const otherBefore = await moneyOf(subject, otherMerchant);

    const forged = [
      await forge(queue, AUTHORIZE_PAYMENT_JOB, { paymentId: processingId, merchantId: otherMerchant.id }),
      await forge(queue, EXPIRE_AUTHORIZATION_JOB, { paymentId: dueAuthorization.id, merchantId: otherMerchant.id }),
    ];
    const refused = [];
    for (const job of forged) refused.push(await finished(queue, job.id!));
    expect((await getPayment(subject, merchant, processingId)).status).toBe('processing');
    expect((await getPayment(subject, merchant, dueAuthorization.id)).status).toBe('requires_capture');
    expect(await moneyOf(subject, merchant)).toEqual(before);
    expect(await moneyOf(subject, otherMerchant)).toEqual(otherBefore);
    for (const job of refused) {
      expect(await job.getState()).toBe('completed');
      expect(job.returnvalue).toEqual({ outcome: 'wrong_merchant' });
    }

    // The same jobs naming the real owner do act, so the refusals above are about the owner and nothing else.
    const owned = [
      await forge(queue, AUTHORIZE_PAYMENT_JOB, { paymentId: processingId, merchantId: merchant.id }),
      await forge(queue, EXPIRE_AUTHORIZATION_JOB, { paymentId: dueAuthorization.id, merchantId: merchant.id }),
    ];
    const acted = [await finished(queue, owned[0]!.id!), await finished(queue, owned[1]!.id!)];
    expect((await getPayment(subject, merchant, processingId)).status).toBe('succeeded');
    expect((await getPayment(subject, merchant, dueAuthorization.id)).status).toBe('canceled');
    expect(await moneyOf(subject, otherMerchant)).toEqual(otherBefore);
    expect(acted.map((job) => job.returnvalue as unknown)).toEqual([{ outcome: 'succeeded' }, { outcome: 'canceled' }]);
  });

  it('rejects malformed job data once, changing nothing and retrying nothing', async () => {
    const processingId = await processingWithoutItsJob(merchant, testCards.visa);
    const payment = await authorized(merchant);
    await database.db.execute(
      sql`UPDATE payments SET authorization_expires_at = now() - interval '1 second' WHERE id = ${payment.id}`,
    );
    const holderToken = (await vaultEntryOf(payment.id))!.token;
    const before = await moneyOf(subject, merchant);
    const malformed: [string, unknown][] = [
      [AUTHORIZE_PAYMENT_JOB, { paymentId: 'not-an-id', merchantId: merchant.id }],
      [AUTHORIZE_PAYMENT_JOB, { paymentId: 42, merchantId: merchant.id }],
      [AUTHORIZE_PAYMENT_JOB, { paymentId: processingId, merchantId: merchant.id, amount: 1 }],
      [AUTHORIZE_PAYMENT_JOB, { paymentId: processingId, merchantId: merchant.id, vaultToken: holderToken }],
      [AUTHORIZE_PAYMENT_JOB, { paymentId: processingId, merchantId: 7 }],
      [AUTHORIZE_PAYMENT_JOB, { paymentId: processingId, vaultToken: { token: holderToken } }],
      [AUTHORIZE_PAYMENT_JOB, [processingId, merchant.id]],
      [AUTHORIZE_PAYMENT_JOB, processingId],
      [AUTHORIZE_PAYMENT_JOB, null],
      [EXPIRE_AUTHORIZATION_JOB, { paymentId: payment.id, merchantId: merchant.id, expiresAt: 'now' }],
      [EXPIRE_AUTHORIZATION_JOB, { paymentId: payment.id, merchantId: merchant.id, force: true }],
      [EXPIRE_AUTHORIZATION_JOB, { paymentId: payment.id, merchantId: payment.id }],
      [EXPIRE_AUTHORIZATION_JOB, { paymentId: [payment.id] }],
      ['capture-payment', { paymentId: payment.id, merchantId: merchant.id }],
    ];
    const jobs: Job[] = [];
    for (const [name, data] of malformed) jobs.push(await forge(queue, name, data));

    const done = [];
    for (const job of jobs) done.push(await finished(queue, job.id!));
    expect((await getPayment(subject, merchant, processingId)).status).toBe('processing');
    expect((await getPayment(subject, merchant, payment.id)).status).toBe('requires_capture');
    expect(await moneyOf(subject, merchant)).toEqual(before);
    for (const job of done) {
      expect({ name: job.name, state: await job.getState(), attemptsMade: job.attemptsMade }).toEqual({
        name: job.name,
        state: 'completed',
        attemptsMade: 1,
      });
      expect(job.returnvalue).toEqual({ outcome: 'rejected' });
    }
    const rejections = subject.logs
      .records()
      .filter((record) => JSON.stringify(record).includes('payments job rejected'))
      .map((record) => record.jobId);
    for (const job of jobs) expect(rejections).toContain(job.id);
  });
});

describe('authorization expiry with forged early jobs', () => {
  const expiryMs = 2000;
  let subject: TestApp;
  let queue: Queue;

  beforeAll(async () => {
    subject = await startTestApp({ ...fastProcessing, AUTHORIZATION_EXPIRY_MS: String(expiryMs) });
    queue = new Queue(PAYMENTS_QUEUE, {
      connection: { url: subject.config.redis.url },
      prefix: subject.config.redis.queuePrefix,
    });
  });
  afterAll(async () => {
    await queue.close();
    await subject.close();
  });

  it('cancels at the stored expiry and not before, however early a job for it runs', async () => {
    const merchant = await createMerchant(subject);
    const created = await createPayment(subject, merchant, paymentBody({ amount: 700, capture_method: 'manual' }));
    const paymentId = created.json<PaymentBody>().id;
    await eventually(
      () => getPayment(subject, merchant, paymentId),
      (payment) => payment.status !== 'processing',
      { what: `payment ${paymentId} authorized` },
    );
    const early = await forge(queue, EXPIRE_AUTHORIZATION_JOB, { paymentId, merchantId: merchant.id });

    const canceled = await eventually(
      () => getPayment(subject, merchant, paymentId),
      (payment) => payment.status === 'canceled',
      { what: 'the authorization expiring' },
    );
    expect(canceled).toMatchObject({ amount_capturable: 0, amount_captured: 0 });
    const done = await finished(queue, early.id!);
    expect(await done.getState()).toBe('completed');
    expect(['canceled', 'already_final']).toContain((done.returnvalue as { outcome: string }).outcome);

    // The hold and its release are stamped by the database clock that also checks the expiry, so the gap
    // between them shows the release waited out the window, whichever job made it.
    const entries = (await ledgerEntriesOf(subject, merchant)).data.filter((entry) => entry.payment_id === paymentId);
    const stampOf = (type: string) => {
      const entry = entries.find((candidate) => candidate.transaction_type === type);
      if (!entry) throw new Error(`no ${type} entry in ${JSON.stringify(entries)}`);
      return Date.parse(entry.created_at);
    };
    expect(stampOf('authorization_release') - stampOf('authorization_hold')).toBeGreaterThanOrEqual(expiryMs);
  });
});
