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
  uniqueKey,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { recordSentStatements } from './support/sent-statements';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * Group commit of POST /v1/payments (PaymentIntake): concurrent creates are written together, and each still gets
 * exactly the answer the contract gives one request alone.
 */
describe('payment creation by group commit', () => {
  let subject: TestApp;
  let merchant: Merchant;
  let database: Database;
  // A row the database refuses, for the "one bad row never fails the others" case: a trigger this test owns.
  const refusedDescription = `group-commit-refused-${process.pid}`;

  beforeAll(async () => {
    subject = await startTestApp(fastProcessing);
    merchant = await createMerchant(subject);
    database = subject.app.get(Database);
    await database.db.execute(
      sql.raw(`
      CREATE OR REPLACE FUNCTION group_commit_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.description = '${refusedDescription}' THEN
          RAISE EXCEPTION 'refused by the group commit test' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER group_commit_test_refuse BEFORE INSERT ON payments
        FOR EACH ROW EXECUTE FUNCTION group_commit_test_refuse();`),
    );
  });
  afterAll(async () => {
    await database.db.execute(sql`DROP TRIGGER IF EXISTS group_commit_test_refuse ON payments`);
    await database.db.execute(sql`DROP FUNCTION IF EXISTS group_commit_test_refuse()`);
    await subject.close();
  });

  /** How many transactions wrote these payments (xmin: the id of the transaction that inserted each row). */
  async function transactionsThatWrote(ids: readonly string[]): Promise<number> {
    const result = await database.db.execute<{ count: string }>(
      sql`SELECT count(DISTINCT xmin::text) AS count FROM payments WHERE id = ANY(${sql.param(ids)}::text[])`,
    );
    return Number(result.rows[0]!.count);
  }

  it('writes concurrent creates in fewer transactions than requests, and each is a committed, settling payment', async () => {
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        createPayment(subject, merchant, paymentBody({ amount: 1_000 + index })),
      ),
    );
    expect(responses.map((response) => response.statusCode)).toEqual(responses.map(() => 202));
    const payments = responses.map((response) => response.json<PaymentBody>());
    expect(new Set(payments.map((payment) => payment.id)).size).toBe(40);
    expect(payments.map((payment) => payment.amount)).toEqual(payments.map((_, index) => 1_000 + index));
    // Answered 202 means committed: every payment reads back at once.
    for (const payment of payments.slice(0, 5))
      await expect(getPayment(subject, merchant, payment.id)).resolves.toMatchObject({ id: payment.id });
    expect(await transactionsThatWrote(payments.map((payment) => payment.id))).toBeLessThan(40);
    // Each has its event and its authorization job: all of them settle.
    for (const payment of payments) {
      await expect(settledPayment(subject, merchant, payment.id)).resolves.toMatchObject({ status: 'succeeded' });
    }
    const events = await database.db.execute<{ count: string }>(sql`
      SELECT count(*) AS count FROM events WHERE type = 'payment.processing' AND object_id = ANY(${sql.param(payments.map((payment) => payment.id))}::text[])`);
    expect(Number(events.rows[0]!.count)).toBe(40);
  });

  it('writes a burst of new keys with one statement per batch: claims, responses and rows together', async () => {
    const recording = recordSentStatements();
    let responses;
    try {
      responses = await Promise.all(Array.from({ length: 20 }, () => createPayment(subject, merchant)));
    } finally {
      recording.stop();
    }
    const { sent } = recording;
    expect(responses.map((response) => response.statusCode)).toEqual(responses.map(() => 202));
    const creates = sent.filter((text) => text.includes('INSERT INTO payments'));
    expect(creates.length).toBeGreaterThan(0);
    expect(creates.length).toBeLessThan(20);
    // The key's row is inserted finished, in the statement of its payment: no claim first, no update after.
    for (const text of creates) {
      expect(text).toContain('INSERT INTO idempotency_keys');
      expect(text).toContain('response_sealed');
    }
    expect(sent.filter((text) => /UPDATE idempotency_keys/.test(text))).toEqual([]);
    // The answer was made before the row was written, timestamps included: it is what a read gives.
    for (const response of responses.slice(0, 5)) {
      const created = response.json<PaymentBody>();
      const read = await getPayment(subject, merchant, created.id);
      expect(read).toMatchObject({
        created_at: created.created_at,
        updated_at: created.updated_at,
        amount: created.amount,
      });
    }
  });

  it('answers a key used twice in one burst once: the other request is told it is in flight, or replayed', async () => {
    const key = uniqueKey('twice');
    const body = paymentBody({ amount: 4_321 });
    const responses = await Promise.all([
      createPayment(subject, merchant, body, key),
      createPayment(subject, merchant, body, key),
      ...Array.from({ length: 10 }, () => createPayment(subject, merchant)),
    ]);
    const [first, second] = responses;
    const answers = [first, second];
    const created = answers.filter(
      (response) => response.statusCode === 202 && !response.headers['idempotent-replayed'],
    );
    expect(created).toHaveLength(1);
    const other = answers.find((response) => response !== created[0])!;
    if (other.statusCode === 409) {
      expect(other.json()).toMatchObject({ error: { code: 'idempotency_key_in_use' } });
      expect(other.headers['retry-after']).toBe('1');
    } else {
      expect(other.statusCode).toBe(202);
      expect(other.headers['idempotent-replayed']).toBe('true');
      expect(other.body).toBe(created[0]!.body);
    }
    const stored = await database.db.execute<{ count: string }>(
      sql`SELECT count(*) AS count FROM payments WHERE merchant_id = ${merchant.id} AND amount = 4321`,
    );
    expect(Number(stored.rows[0]!.count)).toBe(1);
  });

  it('replays stored keys and refuses a reused key with another body, in the same burst as new creates', async () => {
    const key = uniqueKey('stored');
    const body = paymentBody({ amount: 2_468 });
    const first = await createPayment(subject, merchant, body, key);
    expect(first.statusCode).toBe(202);
    const [replay, reused, ...fresh] = await Promise.all([
      createPayment(subject, merchant, body, key),
      createPayment(subject, merchant, paymentBody({ amount: 2_469 }), key),
      ...Array.from({ length: 10 }, () => createPayment(subject, merchant)),
    ]);
    expect(replay.statusCode).toBe(202);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(first.body);
    expect(reused.statusCode).toBe(422);
    expect(reused.json()).toMatchObject({ error: { code: 'idempotency_key_reused' } });
    expect(fresh.map((response) => response.statusCode)).toEqual(fresh.map(() => 202));
  });

  it('fails only the row the database refuses; the others of its burst are created', async () => {
    const refusedKey = uniqueKey('refused');
    const [refused, ...others] = await Promise.all([
      createPayment(subject, merchant, paymentBody({ description: refusedDescription }), refusedKey),
      ...Array.from({ length: 15 }, () => createPayment(subject, merchant, paymentBody({ description: 'fine' }))),
    ]);
    expect(refused.statusCode).toBeGreaterThanOrEqual(500);
    expect(others.map((response) => response.statusCode)).toEqual(others.map(() => 202));
    const ids = others.map((response) => response.json<PaymentBody>().id);
    await expect(getPayment(subject, merchant, ids[0]!)).resolves.toMatchObject({ description: 'fine' });
    // The refused request left nothing behind: its key is free again, and no payment carries its description.
    const leftovers = await database.db.execute<{ payments: string; keys: string }>(sql`
      SELECT (SELECT count(*) FROM payments WHERE description = ${refusedDescription}) AS payments,
             (SELECT count(*) FROM idempotency_keys WHERE key = ${refusedKey}) AS keys`);
    expect(leftovers.rows[0]).toEqual({ payments: '0', keys: '0' });
  });
});
