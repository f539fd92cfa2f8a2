import { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse as InjectResponse } from 'fastify';
import type { components } from '../packages/client/src';
import { Database } from '../src/database/database';
import { CardNetworkReportHook } from '../src/payments/card-network/card-network-report-hook.service';
import type { SettlementReportLine } from '../src/payments/card-network/card-network.port';
import { dayAfter, dayEndedBefore, dayOf, dayRange } from '../src/reconciliation/reconciliation-day';
import { RECONCILE_DAY_JOB, RECONCILIATION_QUEUE } from '../src/reconciliation/reconciliation.constants';
import { reconciliationLimits } from '../src/reconciliation/reconciliation.limits';
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
import { startTestApp, type TestApp, testAdminToken } from './support/test-app';

type Reconciliation = components['schemas']['Reconciliation'];
type ReconciliationList = components['schemas']['ReconciliationList'];
type LineType = SettlementReportLine['type'];

/** A line of the simulated network's journal, with the UTC day its report lists it on. */
interface JournalLine {
  reference: string;
  type: LineType;
  paymentId: string;
  refundId: string | null;
  amount: number;
  day: string;
}

const operator = { 'x-admin-token': testAdminToken };
// A day long past, whose midnight the test moves one payment's records across (nothing else happened on it).
const boundaryDay = '2026-01-14';

// Issue 16 part 4: each UTC day's settlement report of the card network against the ledger, through the operator's
// API, with each kind of discrepancy made by the simulator's report hook.
describe('reconciliation of the card network’s report against the ledger', () => {
  let subject: TestApp;
  let database: Database;
  let hook: CardNetworkReportHook;
  let merchant: Merchant;
  let queue: Queue;
  let captured: PaymentBody;
  let refunded: PaymentBody;
  let refundId: string;
  /** The lines of both payments: captured's capture and fee, refunded's capture, fee and refund. */
  let lines: JournalLine[];
  /** The days the activity of the test's payments is on, by the network's clock and by the ledger's. */
  let activityDays: string[];

  beforeAll(async () => {
    subject = await startTestApp({ ...fastProcessing });
    database = subject.app.get(Database);
    hook = subject.app.get(CardNetworkReportHook);
    queue = new Queue(RECONCILIATION_QUEUE, {
      connection: { url: subject.config.redis.url },
      prefix: subject.config.redis.queuePrefix,
    });
    merchant = await createMerchant(subject, 'Reconciled');
    captured = await paid(3000);
    refunded = await paid(2000);
    const refund = await postAs(
      subject,
      merchant,
      '/v1/refunds',
      { payment_id: refunded.id, amount: 500 },
      uniqueKey(),
    );
    expect(refund.statusCode).toBe(201);
    refundId = refund.json<{ id: string }>().id;
    lines = [...(await settled(captured.id, 2)), ...(await settled(refunded.id, 3))];
    activityDays = [
      ...new Set([
        ...lines.map((line) => line.day),
        ...(await ledgerRecordsOf([captured.id, refunded.id])).map((record) => record.day),
      ]),
    ].sort();
  });
  afterAll(async () => {
    await queue?.obliterate({ force: true });
    await queue?.close();
    await subject?.close();
  });

  async function paid(amount: number): Promise<PaymentBody> {
    const created = await createPayment(subject, merchant, paymentBody({ amount }));
    const payment = await settledPayment(subject, merchant, created.json<PaymentBody>().id);
    expect(payment.status).toBe('succeeded');
    return payment;
  }

  async function journalOf(paymentId: string): Promise<JournalLine[]> {
    const rows = await database.db.execute<{
      reference: string;
      type: LineType;
      refund_id: string | null;
      amount: string;
      day: string;
    }>(sql`
      SELECT reference, type, refund_id, amount::text, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day
        FROM card_network_journal WHERE payment_id = ${paymentId} ORDER BY created_at, reference`);
    return rows.rows.map((row) => ({
      reference: row.reference,
      type: row.type,
      paymentId,
      refundId: row.refund_id,
      amount: Number(row.amount),
      day: row.day,
    }));
  }

  /** The ledger's transactions with the network for these payments, with the UTC day the ledger recorded each. */
  async function ledgerRecordsOf(paymentIds: string[]): Promise<{ kind: string; paymentId: string; day: string }[]> {
    const rows = await database.db.execute<{ kind: string; payment_id: string; day: string }>(sql`
      SELECT kind, payment_id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day FROM ledger_transactions
       WHERE payment_id = ANY(${sql.param(paymentIds)}::text[])
         AND kind IN ('payment_capture', 'refund', 'network_fee', 'dispute_lost')`);
    return rows.rows.map((row) => ({ kind: row.kind, paymentId: row.payment_id, day: row.day }));
  }

  /** Waits until the network journaled `count` lines of the payment and the ledger recorded its network fee. */
  async function settled(paymentId: string, count: number): Promise<JournalLine[]> {
    const found = await eventually(
      () => journalOf(paymentId),
      (journal) => journal.length === count,
      { what: `${count} network journal lines of ${paymentId}` },
    );
    await eventually(
      () => ledgerRecordsOf([paymentId]),
      (records) => records.some((record) => record.kind === 'network_fee'),
      { what: `the network fee of ${paymentId} in the ledger` },
    );
    return found;
  }

  const lineOf = (paymentId: string, type: LineType) =>
    lines.find((line) => line.paymentId === paymentId && line.type === type)!;

  /** The day the ledger recorded the transaction a report line of `type` stands for. */
  async function ledgerDayOf(paymentId: string, type: LineType): Promise<string> {
    const kind = { capture: 'payment_capture', refund: 'refund', fee: 'network_fee', dispute: 'dispute_lost' }[type];
    return (await ledgerRecordsOf([paymentId])).find((record) => record.kind === kind)!.day;
  }

  function post(payload: unknown, headers: Record<string, string> = operator): Promise<InjectResponse> {
    return subject.inject({ method: 'POST', url: '/v1/admin/reconciliations', headers, payload: payload as object });
  }

  function get(url: string, headers: Record<string, string> = operator): Promise<InjectResponse> {
    return subject.inject({ method: 'GET', url, headers });
  }

  async function reconcile(day: string): Promise<Reconciliation> {
    const response = await post({ date: day });
    expect(response.statusCode).toBe(200);
    return response.json<Reconciliation>();
  }

  /** Runs `day` with the hook's changes made by `adjust`, which are undone afterwards whatever happens. */
  async function reconcileAdjusted(day: string, adjust: () => Promise<void>, runDay = day): Promise<Reconciliation> {
    try {
      await adjust();
      return await reconcile(runDay);
    } finally {
      await hook.clear(day);
    }
  }

  const clean = { missing_in_ledger: [], missing_in_report: [], amount_mismatches: [] };
  const noCounts = { missing_in_ledger_count: 0, missing_in_report_count: 0, amount_mismatches_count: 0 };

  it('finds a clean day matched: every line of the report recorded by the ledger at its amount', async () => {
    let matched = 0;
    for (const day of activityDays) {
      const reconciliation = await reconcile(day);
      expect(reconciliation).toMatchObject({ object: 'reconciliation', date: day, status: 'matched', ...clean });
      expect(reconciliation).toMatchObject(noCounts);
      matched += reconciliation.matched;
    }
    // captured: capture and fee; refunded: capture, fee and refund. 0.20 % + 5: 3000 → 11, 2000 → 9.
    expect(lines.map((line) => `${line.type}:${line.amount}`).sort()).toEqual(
      ['capture:2000', 'capture:3000', 'fee:11', 'fee:9', 'refund:500'].sort(),
    );
    expect(matched).toBe(5);
  });

  it.each<LineType>(['capture', 'refund', 'fee'])(
    'finds a %s line dropped from the report as missing in the report',
    async (type) => {
      const line = lineOf(refunded.id, type);
      // Reported on the day the ledger recorded it (a line dropped just after midnight is the ledger's day's).
      const ledgerDay = await ledgerDayOf(refunded.id, type);
      const reconciliation = await reconcileAdjusted(line.day, () => hook.drop(line.day, line.reference), ledgerDay);
      expect(reconciliation).toMatchObject({
        status: 'discrepancies',
        missing_in_ledger: [],
        amount_mismatches: [],
        missing_in_report_count: 1,
        missing_in_ledger_count: 0,
        amount_mismatches_count: 0,
      });
      expect(reconciliation.missing_in_report).toEqual([
        {
          type,
          payment_id: refunded.id,
          refund_id: type === 'refund' ? refundId : null,
          dispute_id: null,
          network_reference: null,
          expected_amount: line.amount,
          reported_amount: null,
          currency: 'USD',
        },
      ]);
    },
  );

  it.each<[LineType, () => Partial<SettlementReportLine>]>([
    ['capture', () => ({ payment_id: 'pay_0000000000000000neverours' })],
    ['refund', () => ({ payment_id: refunded.id, refund_id: 're_000000000000000neverissued' })],
    ['fee', () => ({ payment_id: captured.id, dispute_id: 'dp_00000000000000000neverours' })],
    // No dispute of ours exists: the network's loss of one we never heard of.
    ['dispute', () => ({ payment_id: captured.id, dispute_id: 'dp_00000000000000000neverours' })],
  ])('finds a %s line added to the report as missing in the ledger', async (type, ids) => {
    const day = dayOf(new Date());
    const added: SettlementReportLine = {
      type,
      payment_id: '',
      refund_id: null,
      dispute_id: null,
      network_reference: `net_added_${type}`,
      amount: 777,
      currency: 'USD',
      ...ids(),
    };
    const reconciliation = await reconcileAdjusted(day, () => hook.add(day, added));
    expect(reconciliation).toMatchObject({
      status: 'discrepancies',
      missing_in_report: [],
      amount_mismatches: [],
      missing_in_ledger_count: 1,
    });
    expect(reconciliation.missing_in_ledger).toEqual([
      {
        type,
        payment_id: added.payment_id,
        refund_id: added.refund_id,
        dispute_id: added.dispute_id,
        network_reference: added.network_reference,
        expected_amount: null,
        reported_amount: 777,
        currency: 'USD',
      },
    ]);
  });

  it.each<LineType>(['capture', 'refund', 'fee'])(
    'finds a %s line whose amount was altered as an amount mismatch',
    async (type) => {
      const line = lineOf(refunded.id, type);
      const reconciliation = await reconcileAdjusted(line.day, () =>
        hook.alter(line.day, line.reference, { amount: line.amount + 1 }),
      );
      expect(reconciliation).toMatchObject({
        status: 'discrepancies',
        missing_in_ledger: [],
        missing_in_report: [],
        amount_mismatches_count: 1,
      });
      expect(reconciliation.amount_mismatches).toEqual([
        {
          type,
          payment_id: refunded.id,
          refund_id: type === 'refund' ? refundId : null,
          dispute_id: null,
          network_reference: line.reference,
          expected_amount: line.amount,
          reported_amount: line.amount + 1,
          currency: 'USD',
        },
      ]);
    },
  );

  it('replaces a day’s result when it is run again', async () => {
    const line = lineOf(captured.id, 'capture');
    const found = await reconcileAdjusted(line.day, () => hook.alter(line.day, line.reference, { amount: 1 }));
    expect(found.status).toBe('discrepancies');
    expect((await get(`/v1/admin/reconciliations/${line.day}`)).json<Reconciliation>()).toEqual(found);

    const rerun = await reconcile(line.day);
    expect(rerun).toMatchObject({ status: 'matched', ...clean, ...noCounts });
    expect(Date.parse(rerun.created_at)).toBeGreaterThanOrEqual(Date.parse(found.created_at));
    const read = await get(`/v1/admin/reconciliations/${line.day}`);
    expect(read.statusCode).toBe(200);
    expect(read.json<Reconciliation>()).toEqual(rerun);
    const listed = (await get('/v1/admin/reconciliations?limit=100')).json<ReconciliationList>();
    expect(listed.data.filter((each) => each.date === line.day)).toEqual([rerun]);
  });

  it('keeps at most 100 items of a list, and counts them all', async () => {
    const day = dayOf(new Date());
    const added = Array.from({ length: reconciliationLimits.itemsStoredMax + 5 }, (_, index) => ({
      type: 'capture' as const,
      payment_id: `pay_added_${String(index).padStart(3, '0')}`,
      refund_id: null,
      dispute_id: null,
      network_reference: `net_many_${index}`,
      amount: 100 + index,
      currency: 'USD',
    }));
    const reconciliation = await reconcileAdjusted(day, async () => {
      for (const line of added) await hook.add(day, line);
    });
    expect(reconciliation.missing_in_ledger_count).toBe(105);
    expect(reconciliation.missing_in_ledger.map((item) => item.network_reference)).toEqual(
      added.slice(0, 100).map((line) => line.network_reference),
    );
    expect((await get(`/v1/admin/reconciliations/${day}`)).json<Reconciliation>()).toEqual(reconciliation);
  });

  it('counts a capture committed just before midnight and settled by the network after it once, on the network’s day', async () => {
    const late = await paid(4000);
    const journal = await settled(late.id, 2);
    const nextDay = dayAfter(boundaryDay, 1);
    // The capture reached the ledger at 23:59:59.950 and the network 100 ms later, on the next day; the network's fee
    // came back to the ledger 70 ms after that. Ledger rows are append-only (a trigger refuses updates): the test moves
    // them in time with triggers off for its one transaction, in its own database.
    await database.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL session_replication_role = replica`);
      await tx.execute(sql`
        UPDATE ledger_transactions SET created_at = ${`${boundaryDay}T23:59:59.950Z`}::timestamptz
         WHERE payment_id = ${late.id} AND kind = 'payment_capture'`);
      await tx.execute(sql`
        UPDATE ledger_transactions SET created_at = ${`${nextDay}T00:00:00.120Z`}::timestamptz
         WHERE payment_id = ${late.id} AND kind = 'network_fee'`);
      await tx.execute(sql`
        UPDATE card_network_journal SET created_at = ${`${nextDay}T00:00:00.050Z`}::timestamptz
         WHERE payment_id = ${late.id}`);
    });
    expect(journal.map((line) => line.type).sort()).toEqual(['capture', 'fee']);

    expect(await reconcile(boundaryDay)).toMatchObject({ status: 'matched', matched: 0, ...clean, ...noCounts });
    expect(await reconcile(nextDay)).toMatchObject({ status: 'matched', matched: 2, ...clean, ...noCounts });

    // And dropped from the next day's report, it is the ledger's day that misses it.
    try {
      await hook.drop(nextDay, journal.find((line) => line.type === 'capture')!.reference);
      expect(await reconcile(boundaryDay)).toMatchObject({
        status: 'discrepancies',
        missing_in_report: [{ type: 'capture', payment_id: late.id, expected_amount: 4000 }],
      });
      expect(await reconcile(nextDay)).toMatchObject({ status: 'matched', matched: 1, ...clean });
    } finally {
      await hook.clear(nextDay);
    }
  });

  it('runs the day that ended from its daily job scheduler, shortly after midnight UTC', async () => {
    const scheduler = await eventually(
      () => queue.getJobScheduler(RECONCILE_DAY_JOB),
      (found) => found !== undefined && found !== null,
      { what: 'the reconciliation job scheduler' },
    );
    expect(scheduler).toMatchObject({ pattern: reconciliationLimits.scheduleCronPattern, tz: 'UTC' });

    // The scheduler's job, added now instead of at 00:30: it reconciles the day before the one it is due in.
    const job = await queue.add(RECONCILE_DAY_JOB, {}, { jobId: uniqueKey('run'), attempts: 1 });
    const day = dayEndedBefore(new Date(job.timestamp));
    const done = await eventually(
      async () => (await queue.getJob(job.id!))?.returnvalue as { day?: string; status?: string } | undefined,
      (value) => value?.day !== undefined,
      { what: 'the reconciliation job' },
    );
    expect(done).toMatchObject({ day, status: 'matched' });
    const read = await get(`/v1/admin/reconciliations/${day}`);
    expect(read.statusCode).toBe(200);
    expect(read.json<Reconciliation>()).toMatchObject({ date: day, status: 'matched' });
  });

  it('lists the reconciled days newest first, a page at a time', async () => {
    const all = (await get('/v1/admin/reconciliations?limit=100')).json<ReconciliationList>();
    const days = all.data.map((each) => each.date);
    expect(days.length).toBeGreaterThanOrEqual(3);
    expect(days).toEqual([...days].sort().reverse());
    expect(days).toEqual(expect.arrayContaining([...activityDays, boundaryDay, dayAfter(boundaryDay, 1)]));

    const first = (await get('/v1/admin/reconciliations?limit=2')).json<ReconciliationList>();
    expect(first).toMatchObject({ object: 'list', has_more: true });
    expect(first.data.map((each) => each.date)).toEqual(days.slice(0, 2));
    const second = (
      await get(`/v1/admin/reconciliations?limit=100&starting_after=${days[1]}`)
    ).json<ReconciliationList>();
    expect(second.has_more).toBe(false);
    expect(second.data.map((each) => each.date)).toEqual(days.slice(2));
    const defaultPage = (await get('/v1/admin/reconciliations')).json<ReconciliationList>();
    expect(defaultPage.data.map((each) => each.date)).toEqual(days.slice(0, 10));
  });

  it('shows the last run’s counts and the runs on /metrics', async () => {
    expect((await reconcile(boundaryDay)).status).toBe('matched');
    const day = dayOf(new Date());
    const withExtra = await reconcileAdjusted(day, () =>
      hook.add(day, {
        type: 'refund',
        payment_id: captured.id,
        refund_id: 're_0000000000000000metrics0',
        dispute_id: null,
        network_reference: 'net_metrics',
        amount: 5,
        currency: 'USD',
      }),
    );
    expect(withExtra.missing_in_ledger_count).toBe(1);
    const metrics = (await get('/metrics', {})).body;
    const sample = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    expect(sample('reconciliation_items\\{kind="missing_in_ledger"\\}')).toBe(1);
    expect(sample('reconciliation_items\\{kind="missing_in_report"\\}')).toBe(0);
    expect(sample('reconciliation_items\\{kind="amount_mismatches"\\}')).toBe(0);
    expect(sample('reconciliation_items\\{kind="matched"\\}')).toBe(withExtra.matched);
    expect(sample('reconciliation_runs_total\\{status="discrepancies"\\}')).toBeGreaterThanOrEqual(1);
    expect(sample('reconciliation_runs_total\\{status="matched"\\}')).toBeGreaterThanOrEqual(1);
    const newest = (await get('/v1/admin/reconciliations?limit=1')).json<ReconciliationList>().data[0]!.date;
    expect(sample('reconciliation_newest_day_seconds')).toBe(dayRange(newest)!.start.getTime() / 1000);
  });

  it('answers 404 for a day not reconciled, 400 for a date that is no day, and 401 without the operator token', async () => {
    const missing = await get('/v1/admin/reconciliations/2020-01-01');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'resource_missing' } });
    for (const date of ['2026-02-30', 'yesterday', '2026-1-5']) {
      const invalid = await get(`/v1/admin/reconciliations/${date}`);
      expect({ date, status: invalid.statusCode, body: invalid.json() }).toMatchObject({
        status: 400,
        body: { error: { type: 'invalid_request_error', code: 'parameter_invalid', param: 'date' } },
      });
    }
    const tomorrow = dayAfter(dayOf(new Date()), 1);
    for (const payload of [{ date: '2026-02-30' }, { date: 20260105 }, { date: tomorrow }, { date: '' }]) {
      const invalid = await post(payload);
      expect({ payload, status: invalid.statusCode, body: invalid.json() }).toMatchObject({
        status: 400,
        body: { error: { type: 'invalid_request_error', code: 'parameter_invalid', param: 'date' } },
      });
    }
    expect((await post({})).json()).toMatchObject({ error: { code: 'parameter_missing', param: 'date' } });
    expect((await post({ date: boundaryDay, merchant: 'x' })).json()).toMatchObject({
      error: { code: 'parameter_unknown', param: 'merchant' },
    });
    for (const query of ['limit=0', 'limit=101', 'starting_after=2026-02-30', 'starting_after=pay_x']) {
      expect({ query, status: (await get(`/v1/admin/reconciliations?${query}`)).statusCode }).toEqual({
        query,
        status: 400,
      });
    }
    expect((await post({ date: boundaryDay }, {})).statusCode).toBe(401);
    expect((await get(`/v1/admin/reconciliations/${boundaryDay}`, { 'x-admin-token': 'wrong' })).statusCode).toBe(401);
    expect((await get('/v1/admin/reconciliations', merchant.headers)).statusCode).toBe(401);
  });

  it('leaves the ledger balanced', async () => {
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });
});
