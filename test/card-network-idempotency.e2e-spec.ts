import { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { newId } from '../src/common/ids';
import { Database } from '../src/database/database';
import { CardNetwork, CardNetworkUnavailableError } from '../src/payments/card-network/card-network.port';
import { AUTHORIZE_PAYMENT_JOB, PAYMENTS_QUEUE } from '../src/payments/payments.constants';
import {
  createMerchant,
  createPayment,
  eventually,
  type Merchant,
  type PaymentBody,
  paymentBody,
  settledPayment,
  testCards,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { verifyLedger } from './support/money';
import { startTestApp, type TestApp } from './support/test-app';

const attemptsMax = 5;

// Payments with these amounts have their completion broken by a trigger (below), each a set number of times.
const failsOnceAmount = 4711;
const failsEveryAttemptAmount = 4712;

type NetworkRecord = {
  reference: string;
  attempts: number;
  outcome: string | null;
  authorization_code: string | null;
};

describe('asking the card network again for one payment', () => {
  let subject: TestApp;
  let database: Database;
  let network: CardNetwork;
  let queue: Queue;
  let merchant: Merchant;

  beforeAll(async () => {
    subject = await startTestApp({ ...fastProcessing, PAYMENT_ATTEMPTS_MAX: String(attemptsMax) });
    database = subject.app.get(Database);
    network = subject.app.get(CardNetwork);
    queue = new Queue(PAYMENTS_QUEUE, {
      connection: { url: subject.config.redis.url },
      prefix: subject.config.redis.queuePrefix,
    });
    merchant = await createMerchant(subject, 'Retried');
    // A completion that fails after the network approved, as a crash or a lost connection would: sequences are
    // not transactional, so each failed completion still counts.
    await database.db.execute(
      sql.raw(`
      CREATE SEQUENCE test_fails_once;
      CREATE SEQUENCE test_fails_every_attempt;
      CREATE FUNCTION test_break_completion() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.status = 'processing' AND NEW.status <> 'processing' AND (
             (OLD.amount = ${failsOnceAmount} AND nextval('test_fails_once') <= 1)
          OR (OLD.amount = ${failsEveryAttemptAmount} AND nextval('test_fails_every_attempt') <= ${attemptsMax})
        ) THEN
          RAISE EXCEPTION 'completion broken by the test';
        END IF;
        RETURN NEW;
      END;
      $$;
      CREATE TRIGGER test_break_completion BEFORE UPDATE ON payments
        FOR EACH ROW EXECUTE FUNCTION test_break_completion();
    `),
    );
  });
  afterAll(async () => {
    await queue.close();
    await subject.close();
  });

  async function networkRecord(key: string): Promise<NetworkRecord | undefined> {
    const result = await database.db.execute<NetworkRecord>(
      sql`SELECT reference, attempts, outcome, authorization_code
          FROM simulated_network_authorizations WHERE idempotency_key = ${key}`,
    );
    return result.rows[0];
  }

  async function paymentFacts(paymentId: string) {
    const result = await database.db.execute<{ network_reference: string | null; captures: number; events: number }>(
      sql`SELECT network_reference,
            (SELECT count(*)::int FROM ledger_transactions
              WHERE payment_id = ${paymentId} AND kind = 'payment_capture') AS captures,
            (SELECT count(*)::int FROM events
              WHERE type = 'payment.succeeded' AND object_id = ${paymentId}) AS events
          FROM payments WHERE id = ${paymentId}`,
    );
    return result.rows[0]!;
  }

  async function authorizationJob(paymentId: string) {
    return eventually(
      async () => {
        const jobs = await queue.getJobs(['completed', 'failed']);
        return jobs.find(
          (job) => job.name === AUTHORIZE_PAYMENT_JOB && (job.data as { paymentId: string }).paymentId === paymentId,
        );
      },
      (job) => job !== undefined,
      { what: `authorization job of ${paymentId} finishing` },
    ).then((job) => job!);
  }

  async function paid(amount: number, card: string = testCards.visa): Promise<PaymentBody> {
    const created = await createPayment(subject, merchant, paymentBody({ amount }, { number: card }));
    expect(created.statusCode).toBe(202);
    return settledPayment(subject, merchant, created.json<PaymentBody>().id);
  }

  it('retries a job whose completion failed after an approval: the card is approved once, the payment succeeds once', async () => {
    const payment = await paid(failsOnceAmount);

    expect(payment).toMatchObject({ status: 'succeeded', amount_captured: failsOnceAmount });
    const job = await authorizationJob(payment.id);
    expect({ state: await job.getState(), attemptsMade: job.attemptsMade }).toEqual({
      state: 'completed',
      attemptsMade: 2,
    });
    const record = await networkRecord(payment.id);
    expect(record).toMatchObject({ attempts: 2, outcome: 'approved' });
    // The second attempt got the first answer back, not a second authorization.
    expect(record!.authorization_code).toBe('sim_1');
    expect(await paymentFacts(payment.id)).toEqual({
      network_reference: record!.reference,
      captures: 1,
      events: 1,
    });
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('completes as approved, not failed, a payment whose completion failed on every attempt after the approval', async () => {
    const payment = await paid(failsEveryAttemptAmount);

    expect(payment).toMatchObject({ status: 'succeeded', failure_code: null });
    const record = await networkRecord(payment.id);
    expect(record).toMatchObject({ attempts: attemptsMax, outcome: 'approved', authorization_code: 'sim_1' });
    expect(await paymentFacts(payment.id)).toEqual({
      network_reference: record!.reference,
      captures: 1,
      events: 1,
    });
    const job = await authorizationJob(payment.id);
    expect(job.attemptsMade).toBe(attemptsMax);
  });

  it('answers concurrent requests under one key with one approval', async () => {
    const key = newId('pay');
    const request = {
      paymentId: key,
      amountMinor: 500,
      currency: 'USD',
      card: { number: testCards.visa, cvc: '123', expMonth: 12, expYear: 2040 },
      idempotencyKey: key,
      attempt: 1,
    };
    const answers = await Promise.all(Array.from({ length: 8 }, () => network.authorize(request)));

    const record = await networkRecord(key);
    expect(record).toMatchObject({ attempts: 8, outcome: 'approved' });
    for (const answer of answers) {
      expect(answer).toEqual({
        approved: true,
        authorizationCode: record!.authorization_code,
        networkReference: record!.reference,
      });
    }
    // Closing an answered key gives that answer back and changes nothing.
    expect(await network.close(key)).toEqual(answers[0]);
    expect(await networkRecord(key)).toEqual(record);
  });

  it('closes an unanswered key for good: a later authorization under it is refused', async () => {
    const key = newId('pay');
    const request = {
      paymentId: key,
      amountMinor: 700,
      currency: 'EUR',
      card: { number: testCards.alwaysTimeout, cvc: null, expMonth: 12, expYear: 2040 },
      idempotencyKey: key,
      attempt: 1,
    };
    await expect(network.authorize(request)).rejects.toBeInstanceOf(CardNetworkUnavailableError);

    expect(await network.close(key)).toBeNull();
    expect(await networkRecord(key)).toMatchObject({ attempts: 1, outcome: 'voided' });
    for (const number of [testCards.visa, testCards.alwaysTimeout, testCards.transientTwice]) {
      expect(await network.authorize({ ...request, card: { ...request.card, number } })).toMatchObject({
        approved: false,
        declineCode: 'processing_error',
      });
    }
    expect(await network.close(key)).toBeNull();

    // A key closed before any authorization reached the network is voided too.
    const unseen = newId('pay');
    expect(await network.close(unseen)).toBeNull();
    expect(await network.authorize({ ...request, paymentId: unseen, idempotencyKey: unseen })).toMatchObject({
      approved: false,
      declineCode: 'processing_error',
    });
  });

  it('still errors transiently twice for 4000000000000119, then approves it once', async () => {
    const payment = await paid(1099, testCards.transientTwice);

    expect(payment).toMatchObject({ status: 'succeeded', amount_captured: 1099 });
    const record = await networkRecord(payment.id);
    expect(record).toMatchObject({ attempts: 3, outcome: 'approved', authorization_code: 'sim_3' });
    expect((await paymentFacts(payment.id)).network_reference).toBe(record!.reference);
    const job = await authorizationJob(payment.id);
    expect({ state: await job.getState(), attemptsMade: job.attemptsMade }).toEqual({
      state: 'completed',
      attemptsMade: 3,
    });
  });

  it('fails 4000000000000259 with processing_error after the retry budget, its key voided and its job dead-lettered', async () => {
    const payment = await paid(1099, testCards.alwaysTimeout);

    expect(payment).toMatchObject({ status: 'failed', failure_code: 'processing_error', amount_captured: 0 });
    expect(await networkRecord(payment.id)).toMatchObject({ attempts: attemptsMax, outcome: 'voided' });
    expect((await paymentFacts(payment.id)).network_reference).toBeNull();
    const job = await authorizationJob(payment.id);
    expect({ state: await job.getState(), attemptsMade: job.attemptsMade }).toEqual({
      state: 'failed',
      attemptsMade: attemptsMax,
    });
    // Asking again (a retried job) can no longer charge the card.
    const again = await network.authorize({
      paymentId: payment.id,
      amountMinor: 1099,
      currency: 'USD',
      card: { number: testCards.visa, cvc: null, expMonth: 12, expYear: 2040 },
      idempotencyKey: payment.id,
      attempt: attemptsMax + 1,
    });
    expect(again).toMatchObject({ approved: false, declineCode: 'processing_error' });
  });
});
