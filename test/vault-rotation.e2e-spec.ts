import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { eq, inArray, sql } from 'drizzle-orm';
import { keyIdOf } from '../src/common/crypto/keyring';
import { Database } from '../src/database/database';
import { cardVault, payments } from '../src/database/schema';
import { CardVault } from '../src/payments/card/card-vault.service';
import { CardVaultError } from '../src/payments/card/card-vault.crypto';
import { PAYMENTS_QUEUE } from '../src/payments/payments.constants';
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
  uniqueKey,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { postAs } from './support/money';
import { startTestApp, type TestApp } from './support/test-app';
import { dropDatabase, postgresServerUrl, uniqueDatabaseName } from './support/test-database';
import { newTestNamespace } from './support/test-names';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const attemptsMax = 2;

/**
 * One deployment (database, queue prefix, RabbitMQ names) whose processes are restarted with other vault keys, as
 * an operator rotating CARD_VAULT_KEY would. FINGERPRINT_KEY stays the same throughout.
 */
describe('card vault key rotation with entries in flight', () => {
  const databaseName = uniqueDatabaseName();
  const names = newTestNamespace();
  const shared = {
    ...fastProcessing,
    PAYMENT_ATTEMPTS_MAX: String(attemptsMax),
    DATABASE_URL: `${postgresServerUrl}/${databaseName}`,
    ...names.environment,
    FINGERPRINT_KEY: randomBytes(32).toString('hex'),
  };
  const withKeyA = { ...shared, CARD_VAULT_KEY: keyA.toString('hex') };
  const withKeyBOnly = { ...shared, CARD_VAULT_KEY: keyB.toString('hex') };
  const rotated = { ...withKeyBOnly, CARD_VAULT_PREVIOUS_KEYS: keyA.toString('base64') };
  const running: TestApp[] = [];
  // nestjs-pino builds its logger once per test process: lines logged outside a request land in the capture of
  // the first app started here, so log assertions read the captures of every app.
  const started: TestApp[] = [];
  const allLogs = () => started.flatMap((app) => app.logs.records());
  let queue: Queue | undefined;

  async function start(environment: Record<string, string>): Promise<TestApp> {
    const app = await startTestApp(environment);
    running.push(app);
    started.push(app);
    return app;
  }
  async function stop(app: TestApp): Promise<void> {
    running.splice(running.indexOf(app), 1);
    await app.close();
  }

  afterAll(async () => {
    for (const app of running.splice(0)) await app.close();
    await queue?.close();
    await names.remove();
    await dropDatabase(databaseName);
  });

  async function vaultKeyIds(subject: TestApp, paymentIds: string[]): Promise<(string | null)[]> {
    const rows = await subject.app
      .get(Database)
      .db.select({ keyId: cardVault.keyId })
      .from(payments)
      .innerJoin(cardVault, eq(cardVault.token, payments.vaultToken))
      .where(inArray(payments.id, paymentIds));
    return rows.map((row) => row.keyId);
  }

  async function createAccepted(subject: TestApp, merchant: Merchant, body: object, key = uniqueKey('rot')) {
    const response = await createPayment(subject, merchant, body, key);
    expect(response.statusCode).toBe(202);
    return response.json<PaymentBody>();
  }

  it('keeps taking, completing and capturing payments across A → B, and refuses A’s entries once A is gone', async () => {
    // Key A: manual payments authorized and kept until capture (their entries, CVC erased, sealed under A).
    const firstA = await start({ ...withKeyA, APP_ROLE: 'all' });
    const payments = new Queue(PAYMENTS_QUEUE, {
      connection: { url: firstA.config.redis.url },
      prefix: names.queuePrefix,
    });
    queue = payments;
    const merchant = await createMerchant(firstA);
    const authorizedUnderA: PaymentBody[] = [];
    for (let index = 0; index < 2; index += 1) {
      const created = await createAccepted(firstA, merchant, paymentBody({ capture_method: 'manual' }));
      authorizedUnderA.push(await settledPayment(firstA, merchant, created.id));
    }
    expect(authorizedUnderA.map((payment) => payment.status)).toEqual(['requires_capture', 'requires_capture']);
    expect(
      await vaultKeyIds(
        firstA,
        authorizedUnderA.map((payment) => payment.id),
      ),
    ).toEqual([keyIdOf(keyA), keyIdOf(keyA)]);
    const fingerprintUnderA = authorizedUnderA[0]!.card!.fingerprint;
    await stop(firstA);

    // Key A, API only: payments accepted but not yet processed (their entries still hold the CVC, under A).
    const apiA = await start({ ...withKeyA, APP_ROLE: 'api' });
    const replayKey = uniqueKey('replay');
    const automaticBody = paymentBody({ amount: 2500 });
    const inFlight = [
      await createAccepted(apiA, merchant, paymentBody({ capture_method: 'manual', amount: 1500 })),
      await createAccepted(apiA, merchant, automaticBody, replayKey),
    ];
    expect(inFlight.map((payment) => payment.status)).toEqual(['processing', 'processing']);
    expect(
      await vaultKeyIds(
        apiA,
        inFlight.map((payment) => payment.id),
      ),
    ).toEqual([keyIdOf(keyA), keyIdOf(keyA)]);
    await stop(apiA);

    // Key B without A: the entries do not open. The jobs fail (each attempt, then for good) with a reason naming
    // A's key id; the payments are not authorized, and nothing of the card reaches the logs.
    const onlyB = await start({ ...withKeyBOnly, APP_ROLE: 'all' });
    const failed = await eventually(
      () => payments.getFailed(),
      (jobs) => jobs.length === inFlight.length && jobs.every((job) => job.attemptsMade >= attemptsMax),
      { what: 'the authorization jobs failing for good under key B alone' },
    );
    for (const job of failed) {
      expect(job.failedReason).toContain(
        `sealed under key ${keyIdOf(keyA)}, which is neither the current nor a previous key`,
      );
    }
    for (const payment of inFlight) expect((await getPayment(onlyB, merchant, payment.id)).status).toBe('processing');
    const refusals = allLogs().filter(
      (record) => record.msg === 'card vault entry cannot be opened with the configured vault keys',
    );
    expect(refusals.length).toBeGreaterThanOrEqual(inFlight.length);
    expect(refusals[0]).toMatchObject({ entryKeyId: keyIdOf(keyA), configuredKeyIds: [keyIdOf(keyB)] });
    expect(JSON.stringify(allLogs())).not.toContain(testCards.visa);
    await stop(onlyB);

    // Key B with A as a previous key: the operator retries the dead letters, and everything completes.
    const rotatedApp = await start({ ...rotated, APP_ROLE: 'all' });
    for (const job of await payments.getFailed()) await job.retry('failed', { resetAttemptsMade: true });
    const [manual, automatic] = [
      await settledPayment(rotatedApp, merchant, inFlight[0]!.id),
      await settledPayment(rotatedApp, merchant, inFlight[1]!.id),
    ];
    expect(manual.status).toBe('requires_capture');
    expect(automatic.status).toBe('succeeded');
    // eraseCvc re-sealed the kept entry under the current key; the captured one is gone.
    expect(await vaultKeyIds(rotatedApp, [manual.id])).toEqual([keyIdOf(keyB)]);
    expect(await vaultKeyIds(rotatedApp, [automatic.id])).toEqual([]);

    for (const payment of [...authorizedUnderA, manual]) {
      const captured = await postAs(rotatedApp, merchant, `/v1/payments/${payment.id}/capture`, {});
      expect(captured.statusCode).toBe(200);
      expect(captured.json<PaymentBody>().status).toBe('succeeded');
    }
    const remaining = await rotatedApp.app
      .get(Database)
      .db.execute<{ count: number }>(
        sql`SELECT count(*)::int AS count FROM card_vault WHERE key_id = ${keyIdOf(keyA)}`,
      );
    expect(remaining.rows[0]!.count).toBe(0);

    const fresh = await createAccepted(rotatedApp, merchant, paymentBody({ capture_method: 'manual' }));
    expect(await vaultKeyIds(rotatedApp, [fresh.id])).toEqual([keyIdOf(keyB)]);
    const freshSettled = await settledPayment(rotatedApp, merchant, fresh.id);
    expect(freshSettled.status).toBe('requires_capture');
    // The same card, the same fingerprint, before and after: FINGERPRINT_KEY did not rotate.
    for (const payment of [freshSettled, manual, automatic]) expect(payment.card!.fingerprint).toBe(fingerprintUnderA);
    // So did the idempotency request fingerprint: the request made under key A replays under key B.
    const replay = await createPayment(rotatedApp, merchant, automaticBody, replayKey);
    expect(replay.statusCode).toBe(202);
    expect(replay.json<PaymentBody>().id).toBe(inFlight[1]!.id);
  });

  it('refuses an entry copied onto another token', async () => {
    // No worker may authorize these payments (which erases their cards) while the test reads their vault entries:
    // the app of the previous test, which runs workers on the same queue prefix, stops first.
    for (const app of running.splice(0)) await app.close();
    const subject = await start({ ...rotated, APP_ROLE: 'api' });
    const merchant = await createMerchant(subject);
    const [first, second] = [
      await createAccepted(subject, merchant, paymentBody()),
      await createAccepted(subject, merchant, paymentBody({}, { number: testCards.mastercard })),
    ];
    const database = subject.app.get(Database);
    const tokens = await database.db.execute<{ id: string; vault_token: string }>(
      sql`SELECT id, vault_token FROM payments WHERE id IN (${first.id}, ${second.id}) ORDER BY id = ${first.id} DESC`,
    );
    const [firstToken, secondToken] = tokens.rows.map((row) => row.vault_token);
    const vault = subject.app.get(CardVault);
    expect((await vault.read(secondToken!))?.number).toBe(testCards.mastercard);

    await database.db.execute(sql`
      UPDATE card_vault SET sealed = (SELECT sealed FROM card_vault WHERE token = ${firstToken})
      WHERE token = ${secondToken}`);
    await expect(vault.read(secondToken!)).rejects.toThrow(CardVaultError);
    await expect(vault.read(secondToken!)).rejects.toThrow(/failed authentication/);
    expect((await vault.read(firstToken!))?.number).toBe(testCards.visa);
    await stop(subject);
  });
});
