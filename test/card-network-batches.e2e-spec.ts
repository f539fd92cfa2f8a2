import { sql } from 'drizzle-orm';
import { newId } from '../src/common/ids';
import { Database } from '../src/database/database';
import { type AuthorizationRequest, CardNetwork } from '../src/payments/card-network/card-network.port';
import { testCards } from './support/api';
import { fastProcessing } from './support/fast-processing';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * The simulated network writes the records of the authorizations asked at once together (a statement per batch,
 * GroupCommit), and each caller still gets the answer its key would get alone.
 */
describe('card network simulator records in batches', () => {
  let subject: TestApp;
  let database: Database;
  let network: CardNetwork;

  beforeAll(async () => {
    subject = await startTestApp(fastProcessing);
    database = subject.app.get(Database);
    network = subject.app.get(CardNetwork);
  });
  afterAll(async () => {
    await subject.close();
  });

  function request(key: string, number: string = testCards.visa): AuthorizationRequest {
    return {
      paymentId: key,
      amountMinor: 1_000,
      currency: 'USD',
      card: { number, cvc: '123', expMonth: 12, expYear: 2040 },
      idempotencyKey: key,
      attempt: 1,
    };
  }

  async function records(keys: readonly string[]) {
    const result = await database.db.execute<{ key: string; attempts: number; outcome: string; writers: string }>(sql`
      SELECT idempotency_key AS key, attempts, outcome, xmin::text AS writers FROM simulated_network_authorizations
      WHERE idempotency_key = ANY(${sql.param(keys)}::text[])`);
    return result.rows;
  }

  it('answers a burst of keys, recording them with fewer statements than keys', async () => {
    const keys = Array.from({ length: 30 }, () => newId('pay'));
    const declinedKey = keys[7]!;
    const answers = await Promise.all(
      keys.map((key) => network.authorize(request(key, key === declinedKey ? testCards.declined : testCards.visa))),
    );
    answers.forEach((answer, index) => {
      if (keys[index] === declinedKey) expect(answer).toMatchObject({ approved: false, declineCode: 'card_declined' });
      else expect(answer).toMatchObject({ approved: true });
    });
    const stored = await records(keys);
    expect(stored).toHaveLength(30);
    expect(stored.every((record) => record.attempts === 1 && record.outcome !== null)).toBe(true);
    // The final answers of one batch were stored by one statement (one transaction id in xmin).
    expect(new Set(stored.map((record) => record.writers)).size).toBeLessThan(30);
  });

  it("stores a first attempt's final answer in the statement that counts it: one write per key", async () => {
    const keys = [newId('pay'), newId('pay'), newId('pay')];
    const numbers = [testCards.visa, testCards.declined, testCards.transientTwice];
    const answers = await Promise.allSettled(keys.map((key, index) => network.authorize(request(key, numbers[index]))));
    expect(answers[0]).toMatchObject({ status: 'fulfilled', value: { approved: true } });
    expect(answers[1]).toMatchObject({ status: 'fulfilled', value: { approved: false, declineCode: 'card_declined' } });
    expect(answers[2]).toMatchObject({ status: 'rejected' });
    const written = await database.db.execute<{ key: string; outcome: string | null; once: boolean }>(sql`
      SELECT idempotency_key AS key, outcome, updated_at = created_at AS once FROM simulated_network_authorizations
      WHERE idempotency_key = ANY(${sql.param(keys)}::text[])`);
    const byKey = new Map(written.rows.map((row) => [row.key, row]));
    // Inserted with its answer (a later UPDATE would have moved updated_at past created_at)...
    expect(byKey.get(keys[0]!)).toMatchObject({ outcome: 'approved', once: true });
    expect(byKey.get(keys[1]!)).toMatchObject({ outcome: 'declined', once: true });
    // ...except the card whose first attempts get no answer: counted without one, as before.
    expect(byKey.get(keys[2]!)).toMatchObject({ outcome: null });
  });

  it('counts a key asked twice at once twice, and answers both with its one final answer', async () => {
    const twice = newId('pay');
    const others = Array.from({ length: 10 }, () => newId('pay'));
    const [first, second, ...rest] = await Promise.all(
      [twice, twice, ...others].map((key) => network.authorize(request(key))),
    );
    expect(first).toEqual(second);
    expect(rest.every((answer) => answer.approved)).toBe(true);
    const [record] = await records([twice]);
    expect(record).toMatchObject({ attempts: 2, outcome: 'approved' });
  });

  it('keeps a key closed before its answer closed for every caller of the batch', async () => {
    const closed = newId('pay');
    await expect(network.close(closed)).resolves.toBeNull();
    const [answer] = await Promise.all([network.authorize(request(closed)), network.authorize(request(newId('pay')))]);
    expect(answer).toMatchObject({ approved: false });
  });
});
