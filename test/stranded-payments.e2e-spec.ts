import { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { Database } from '../src/database/database';
import { MAINTENANCE_QUEUE, SWEEP_STRANDED_PAYMENTS_JOB } from '../src/maintenance/maintenance.constants';
import {
  createMerchant,
  createPayment,
  eventually,
  getPayment,
  type Merchant,
  type PaymentBody,
  paymentBody,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { available, balanceOf } from './support/money';
import { startTestApp, testAdminToken, type TestApp } from './support/test-app';

// Stranded for real: the API process takes payments, but no process of this deployment runs the outbox relay, so
// no authorization job and no expiry job is ever queued. The worker process runs only the maintenance queue's
// sweeps, triggered by the test (the schedule is a day apart).

interface Finding {
  check: string;
  id: string;
  since: string;
}

interface VerificationWithFindings {
  balanced: boolean;
  mismatches: unknown[];
  findings: Finding[];
}

interface LedgerEntry {
  transaction_type: string;
  payment_id: string | null;
  amount: number;
}

describe('stranded payments', () => {
  let api: TestApp;
  let worker: TestApp;
  let database: Database;
  let maintenance: Queue;
  let sweeps = 0;

  beforeAll(async () => {
    api = await startTestApp({ ...fastProcessing, APP_ROLE: 'api' });
    worker = await startTestApp({
      ...fastProcessing,
      APP_ROLE: 'worker',
      DATABASE_URL: api.config.database.url,
      QUEUE_PREFIX: api.config.redis.queuePrefix,
      EVENTS_EXCHANGE: api.config.rabbitmq.eventsExchange,
      WEBHOOK_EVENTS_QUEUE: api.config.webhooks.eventsQueue,
      STRANDED_PAYMENTS_SWEEP_INTERVAL_MS: '86400000',
    });
    database = api.app.get(Database);
    maintenance = new Queue(MAINTENANCE_QUEUE, {
      connection: { url: api.config.redis.url },
      prefix: api.config.redis.queuePrefix,
    });
  });
  afterAll(async () => {
    await maintenance.close();
    await worker.close();
    await api.close();
  });

  /** Runs one sweep on the worker and returns its counts. */
  async function sweepNow(): Promise<Record<string, number>> {
    sweeps += 1;
    const jobId = `test-sweep-${sweeps}`;
    await maintenance.add(SWEEP_STRANDED_PAYMENTS_JOB, {}, { jobId, removeOnComplete: false, removeOnFail: false });
    const state = await eventually(
      async () => (await maintenance.getJob(jobId))?.getState(),
      (current) => current === 'completed' || current === 'failed',
      { what: `sweep ${jobId} finishing` },
    );
    const job = (await maintenance.getJob(jobId))!;
    expect({ state, failedReason: job.failedReason }).toEqual({ state: 'completed', failedReason: undefined });
    return job.returnvalue as Record<string, number>;
  }

  async function verify(): Promise<VerificationWithFindings> {
    const response = await api.inject({
      method: 'GET',
      url: '/v1/admin/ledger/verify',
      headers: { 'x-admin-token': testAdminToken },
    });
    expect(response.statusCode).toBe(200);
    return response.json<VerificationWithFindings>();
  }

  async function metricsOf(subject: TestApp): Promise<string> {
    const response = await subject.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    return response.body;
  }

  async function newPayment(merchant: Merchant, overrides: Record<string, unknown> = {}): Promise<PaymentBody> {
    const response = await createPayment(api, merchant, paymentBody(overrides));
    expect(response.statusCode).toBe(202);
    return response.json<PaymentBody>();
  }

  /** The simulator's own record of an approval under the payment's key, as if the worker died after the answer. */
  async function networkApproved(payment: PaymentBody): Promise<void> {
    await database.db.execute(sql`
      INSERT INTO simulated_network_authorizations
        (idempotency_key, reference, attempts, outcome, authorization_code, amount, currency)
      VALUES (${payment.id}, ${`net_${payment.id}`}, 1, 'approved', 'A00001', ${payment.amount}, ${payment.currency})`);
  }

  async function backdate(paymentIds: string[], age: string): Promise<void> {
    for (const id of paymentIds) {
      await database.db.execute(sql`
        UPDATE payments SET created_at = now() - ${age}::interval, updated_at = now() - ${age}::interval
        WHERE id = ${id}`);
    }
  }

  async function vaultTokenOf(paymentId: string): Promise<string | null> {
    const result = await database.db.execute<{ vault_token: string | null }>(
      sql`SELECT vault_token FROM payments WHERE id = ${paymentId}`,
    );
    return result.rows[0]!.vault_token;
  }

  async function vaultHas(token: string): Promise<boolean> {
    const result = await database.db.execute(sql`SELECT 1 FROM card_vault WHERE token = ${token}`);
    return result.rows.length > 0;
  }

  async function networkOutcomeOf(paymentId: string): Promise<string | null | undefined> {
    const result = await database.db.execute<{ outcome: string | null }>(
      sql`SELECT outcome FROM simulated_network_authorizations WHERE idempotency_key = ${paymentId}`,
    );
    return result.rows[0]?.outcome;
  }

  async function ledgerOf(merchant: Merchant): Promise<LedgerEntry[]> {
    const response = await api.inject({
      method: 'GET',
      url: '/v1/ledger/entries?limit=100',
      headers: merchant.headers,
    });
    expect(response.statusCode).toBe(200);
    return response.json<{ data: LedgerEntry[] }>().data;
  }

  function findingsOf(verification: VerificationWithFindings, check: string): string[] {
    return verification.findings
      .filter((finding) => finding.check === check)
      .map((finding) => finding.id)
      .sort();
  }

  it('settles payments stuck in processing by what the card network says when their key is closed', async () => {
    const merchant = await createMerchant(api, 'Stuck');
    const approved = await newPayment(merchant);
    const unanswered = await newPayment(merchant);
    const manual = await newPayment(merchant, { capture_method: 'manual', amount: 2500 });
    const recent = await newPayment(merchant);
    await networkApproved(approved);
    await networkApproved(manual);
    await backdate([approved.id, unanswered.id, manual.id], '1 hour');
    const unansweredToken = (await vaultTokenOf(unanswered.id))!;
    expect(await vaultHas(unansweredToken)).toBe(true);

    const before = await verify();
    expect(before.balanced).toBe(true);
    expect(before.mismatches).toEqual([]);
    expect(findingsOf(before, 'payment_stuck_processing')).toEqual([approved.id, unanswered.id, manual.id].sort());
    expect(await metricsOf(api)).toContain('payments_stranded{check="payment_stuck_processing"} 3');

    await sweepNow();

    const approvedAfter = await getPayment(api, merchant, approved.id);
    expect(approvedAfter).toMatchObject({ status: 'succeeded', amount_captured: 1099, failure_code: null });
    const ledger = await ledgerOf(merchant);
    expect(
      ledger.some((entry) => entry.payment_id === approved.id && entry.transaction_type === 'payment_capture'),
    ).toBe(true);
    expect(available(await balanceOf(api, merchant), 'USD')).toBe(1099);

    const unansweredAfter = await getPayment(api, merchant, unanswered.id);
    expect(unansweredAfter).toMatchObject({ status: 'failed', failure_code: 'processing_error', amount_captured: 0 });
    expect(await vaultTokenOf(unanswered.id)).toBeNull();
    expect(await vaultHas(unansweredToken)).toBe(false);
    // Closed for good: a late job under this key cannot charge the card any more.
    expect(await networkOutcomeOf(unanswered.id)).toBe('voided');

    const manualAfter = await getPayment(api, merchant, manual.id);
    expect(manualAfter).toMatchObject({ status: 'requires_capture', amount_capturable: 2500 });
    expect(
      ledger.some((entry) => entry.payment_id === manual.id && entry.transaction_type === 'authorization_hold'),
    ).toBe(true);

    // Within its retry budget: left to its job.
    expect((await getPayment(api, merchant, recent.id)).status).toBe('processing');

    const after = await verify();
    expect(after.balanced).toBe(true);
    expect(after.findings).toEqual([]);
    expect(await metricsOf(api)).toContain('payments_stranded{check="payment_stuck_processing"} 0');
    const workerMetrics = await metricsOf(worker);
    expect(workerMetrics).toContain('stranded_payments_finalized_total{outcome="approved"} 2');
    expect(workerMetrics).toContain('stranded_payments_finalized_total{outcome="voided"} 1');

    // Nothing left: another run changes nothing.
    expect(await sweepNow()).toMatchObject({ approved: 0, declined: 0, voided: 0, expired: 0 });
  });

  it('cancels an authorization whose expiry job was lost, and releases its hold', async () => {
    const merchant = await createMerchant(api, 'Overdue');
    const overdue = await newPayment(merchant, { capture_method: 'manual', amount: 4000 });
    const withinGrace = await newPayment(merchant, { capture_method: 'manual', amount: 700 });
    await networkApproved(overdue);
    await networkApproved(withinGrace);
    await backdate([overdue.id, withinGrace.id], '1 hour');
    await sweepNow();
    expect((await getPayment(api, merchant, overdue.id)).status).toBe('requires_capture');
    expect((await getPayment(api, merchant, withinGrace.id)).status).toBe('requires_capture');
    // Their expiry jobs were never queued (no relay); now their expiries pass, one long ago, one just now.
    await database.db.execute(sql`
      UPDATE payments SET created_at = now() - interval '8 days',
        authorization_expires_at = CASE id WHEN ${overdue.id} THEN now() - interval '1 hour' ELSE now() - interval '1 minute' END
      WHERE id IN (${overdue.id}, ${withinGrace.id})`);

    const before = await verify();
    expect(before.balanced).toBe(true);
    expect(findingsOf(before, 'authorization_overdue')).toEqual([overdue.id]);
    expect(await metricsOf(api)).toContain('payments_stranded{check="authorization_overdue"} 1');

    await sweepNow();

    expect(await getPayment(api, merchant, overdue.id)).toMatchObject({
      status: 'canceled',
      amount_capturable: 0,
      amount_captured: 0,
    });
    // Within the grace the delayed job would still win: the sweeper leaves it.
    expect((await getPayment(api, merchant, withinGrace.id)).status).toBe('requires_capture');
    const ledger = await ledgerOf(merchant);
    const kindsOf = (id: string) =>
      ledger
        .filter((entry) => entry.payment_id === id)
        .map((entry) => entry.transaction_type)
        .sort();
    expect(new Set(kindsOf(overdue.id))).toEqual(new Set(['authorization_hold', 'authorization_release']));
    expect(available(await balanceOf(api, merchant), 'USD')).toBe(0);

    const after = await verify();
    expect(after.balanced).toBe(true);
    expect(after.findings).toEqual([]);
    expect(await metricsOf(api)).toContain('payments_stranded{check="authorization_overdue"} 0');
    expect(await metricsOf(worker)).toContain('stranded_payments_finalized_total{outcome="expired"} 1');
  });
});
