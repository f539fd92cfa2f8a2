import { getQueueToken } from '@nestjs/bullmq';
import type { Queue } from 'bullmq';
import { sql } from 'drizzle-orm';
import { type components, idempotencyKeyHeader } from '../packages/client/src';
import { Database } from '../src/database/database';
import { PAYOUTS_QUEUE, RUN_DAILY_PAYOUTS_JOB, RUN_WEEKLY_PAYOUTS_JOB } from '../src/payouts/payouts.constants';
import {
  adminClient,
  clientAs,
  createMerchant,
  createPayment,
  dataOf,
  eventually,
  type Merchant,
  type PaymentBody,
  paymentBody,
  settledPayment,
  uniqueKey,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { injectedResponse } from './support/inject-fetch';
import { available, balanceOf, postAs, verifyLedger } from './support/money';
import { startTestApp, type TestApp, testAdminToken } from './support/test-app';

type Payout = components['schemas']['Payout'];
type MerchantObject = components['schemas']['Merchant'];

// PAYOUT_ARRIVAL_MS 0: the settle job is due at once, so no test waits for the two days of a real arrival date.
const payoutApp = { ...fastProcessing, PAYOUT_ARRIVAL_MS: '0' };

describe('payouts', () => {
  let subject: TestApp;

  beforeAll(async () => {
    subject = await startTestApp(payoutApp);
  });
  afterAll(async () => {
    await subject.close();
  });

  /** A merchant whose available balance holds `amounts` (one captured payment each, no fee by default). */
  async function merchantWith(name: string, amounts: Record<string, number>): Promise<Merchant> {
    const merchant = await createMerchant(subject, name);
    for (const [currency, amount] of Object.entries(amounts)) {
      const created = await createPayment(subject, merchant, paymentBody({ amount, currency }));
      const payment = await settledPayment(subject, merchant, created.json<PaymentBody>().id);
      expect(payment.status).toBe('succeeded');
    }
    return merchant;
  }

  async function createPayout(merchant: Merchant, body: object, key: string | null = uniqueKey('po')) {
    const { response } = await clientAs(subject, merchant).POST('/v1/payouts', {
      // A payout without a key is refused by the API (400); the client's type requires one, the test may omit it.
      params: {
        header: (key === null ? undefined : idempotencyKeyHeader(key)) as ReturnType<typeof idempotencyKeyHeader>,
      },
      body: body as { amount: number; currency: string },
    });
    return injectedResponse(response);
  }

  async function getPayout(merchant: Merchant, id: string) {
    const { response } = await clientAs(subject, merchant).GET('/v1/payouts/{id}', { params: { path: { id } } });
    return injectedResponse(response);
  }

  function finalPayout(merchant: Merchant, id: string): Promise<Payout> {
    return eventually(
      async () => (await getPayout(merchant, id)).json<Payout>(),
      (payout) => payout.status === 'paid' || payout.status === 'failed',
      { what: `payout ${id} final` },
    );
  }

  /** The payout's events, oldest first. */
  async function eventTypesOf(merchant: Merchant, payoutId: string): Promise<string[]> {
    const events = dataOf(
      await clientAs(subject, merchant).GET('/v1/events', { params: { query: { limit: 100 } } }),
      'events',
    );
    return events.data
      .filter((event) => event.data.object.id === payoutId)
      .map((event) => event.type)
      .reverse();
  }

  async function ledgerEntriesOf(merchant: Merchant, payoutId: string) {
    const entries = dataOf(
      await clientAs(subject, merchant).GET('/v1/ledger/entries', { params: { query: { limit: 100 } } }),
      'entries',
    );
    return entries.data.filter((entry) => entry.payout_id === payoutId);
  }

  it('pays a payout out: pending, in transit, paid, with its events, postings and balance', async () => {
    const merchant = await merchantWith('Paid Co', { usd: 10_000 });
    const before = Date.now();
    const created = await createPayout(merchant, { amount: 4_000, currency: 'usd', description: 'Weekly sweep' });
    expect(created.statusCode).toBe(201);
    const payout = created.json<Payout>();
    expect(payout).toMatchObject({
      object: 'payout',
      amount: 4_000,
      currency: 'USD',
      status: 'pending',
      method: 'manual',
      failure_code: null,
      description: 'Weekly sweep',
    });
    expect(payout.id).toMatch(/^po_[0-9A-Za-z]{24}$/);
    // arrival_date = creation + PAYOUT_ARRIVAL_MS (0 here).
    expect(payout.arrival_date).toBe(payout.created_at);
    expect(Date.parse(payout.created_at)).toBeGreaterThanOrEqual(before - 1_000);
    // The amount left available at once, before the bank answered.
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(6_000);

    const paid = await finalPayout(merchant, payout.id);
    expect(paid).toMatchObject({ id: payout.id, status: 'paid', failure_code: null, amount: 4_000 });
    expect(Date.parse(paid.updated_at)).toBeGreaterThanOrEqual(Date.parse(payout.updated_at));
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(6_000);
    expect(await eventTypesOf(merchant, payout.id)).toEqual(['payout.created', 'payout.in_transit', 'payout.paid']);

    const entries = await ledgerEntriesOf(merchant, payout.id);
    expect(entries.map((entry) => [entry.transaction_type, entry.account, entry.amount]).sort()).toEqual(
      [
        ['payout_created', 'merchant_available', 4_000],
        ['payout_created', 'merchant_payouts_in_transit', -4_000],
        ['payout_paid', 'merchant_payouts_in_transit', 4_000],
      ].sort(),
    );
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('fails a bank-fail merchant’s payout at once and returns its money', async () => {
    const merchant = await merchantWith('Closed Account bank-fail', { usd: 3_000 });
    const payout = (await createPayout(merchant, { amount: 2_500, currency: 'usd' })).json<Payout>();
    expect(payout.status).toBe('pending');
    const failed = await finalPayout(merchant, payout.id);
    expect(failed).toMatchObject({ status: 'failed', failure_code: 'account_closed' });
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(3_000);
    expect(await eventTypesOf(merchant, payout.id)).toEqual(['payout.created', 'payout.failed']);
    const entries = await ledgerEntriesOf(merchant, payout.id);
    expect(entries.filter((entry) => entry.transaction_type === 'payout_failed')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ account: 'merchant_available', amount: -2_500, payout_id: payout.id }),
        expect.objectContaining({ account: 'merchant_payouts_in_transit', amount: 2_500 }),
      ]),
    );
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('fails a bank-late-fail merchant’s payout after it was in transit and returns its money', async () => {
    const merchant = await merchantWith('Returned bank-late-fail', { eur: 5_000 });
    const payout = (await createPayout(merchant, { amount: 5_000, currency: 'EUR' })).json<Payout>();
    expect(available(await balanceOf(subject, merchant), 'EUR')).toBe(0);
    const failed = await finalPayout(merchant, payout.id);
    expect(failed).toMatchObject({ status: 'failed', failure_code: 'could_not_process', currency: 'EUR' });
    expect(available(await balanceOf(subject, merchant), 'EUR')).toBe(5_000);
    expect(await eventTypesOf(merchant, payout.id)).toEqual(['payout.created', 'payout.in_transit', 'payout.failed']);
    // The event's object is the payout as it was at that step.
    const events = dataOf(
      await clientAs(subject, merchant).GET('/v1/events', { params: { query: { type: 'payout.failed' } } }),
      'events',
    );
    expect(events.data[0]!.data.object).toMatchObject({ id: payout.id, object: 'payout', status: 'failed' });
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('refuses more than the available balance: none, too little, or negative (422 amount_too_large)', async () => {
    const empty = await createMerchant(subject, 'Empty');
    const none = await createPayout(empty, { amount: 1, currency: 'usd' });
    expect(none.statusCode).toBe(422);
    expect(none.json()).toMatchObject({
      error: { type: 'invalid_request_error', code: 'amount_too_large', param: 'amount' },
    });

    const merchant = await merchantWith('Short', { usd: 1_000 });
    expect((await createPayout(merchant, { amount: 1_001, currency: 'usd' })).statusCode).toBe(422);
    // Another currency's balance is not this one's.
    expect((await createPayout(merchant, { amount: 1, currency: 'eur' })).statusCode).toBe(422);

    // Paid out whole, then refunded: available is negative.
    const payment = dataOf(
      await clientAs(subject, merchant).GET('/v1/payments', { params: { query: { limit: 1 } } }),
      'payments',
    ).data[0]!;
    const all = (await createPayout(merchant, { amount: 1_000, currency: 'usd' })).json<Payout>();
    expect((await finalPayout(merchant, all.id)).status).toBe('paid');
    const refund = await postAs(subject, merchant, '/v1/refunds', { payment_id: payment.id, amount: 400 }, uniqueKey());
    expect(refund.statusCode).toBe(201);
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(-400);
    const negative = await createPayout(merchant, { amount: 1, currency: 'usd' });
    expect(negative.statusCode).toBe(422);
    expect(negative.json().error.code).toBe('amount_too_large');
    // Refused payouts left nothing behind.
    const listed = dataOf(await clientAs(subject, merchant).GET('/v1/payouts'), 'payouts');
    expect(listed.data.map((each) => each.id)).toEqual([all.id]);
  });

  it('validates the body and requires an Idempotency-Key', async () => {
    const merchant = await createMerchant(subject, 'Validation');
    for (const body of [
      { amount: 1.5, currency: 'usd' },
      { amount: '100', currency: 'usd' },
      { amount: -1, currency: 'usd' },
      { amount: 100, currency: 'xyz' },
      { amount: 100 },
    ]) {
      expect((await createPayout(merchant, body)).statusCode).toBe(400);
    }
    const unknown = await createPayout(merchant, { amount: 100, currency: 'usd', method: 'automatic' });
    expect(unknown.json()).toMatchObject({ error: { code: 'parameter_unknown', param: 'method' } });
    const keyless = await createPayout(merchant, { amount: 100, currency: 'usd' }, null);
    expect(keyless.statusCode).toBe(400);
    expect(keyless.json().error.param).toBe('Idempotency-Key');
  });

  it('replays an idempotent create, refuses a key reused for another body', async () => {
    const merchant = await merchantWith('Replay', { usd: 2_000 });
    const key = uniqueKey('po');
    const first = await createPayout(merchant, { amount: 500, currency: 'usd' }, key);
    const again = await createPayout(merchant, { amount: 500, currency: 'usd' }, key);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json<Payout>().id).toBe(first.json<Payout>().id);
    const reused = await createPayout(merchant, { amount: 600, currency: 'usd' }, key);
    expect(reused.statusCode).toBe(422);
    expect(reused.json().error.code).toBe('idempotency_key_reused');
    // One payout, one debit.
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(1_500);
    // A refusal is replayed too: the same key answers 422 again even once the balance would allow it.
    const overKey = uniqueKey('po');
    expect((await createPayout(merchant, { amount: 1_501, currency: 'usd' }, overKey)).statusCode).toBe(422);
    const replayedRefusal = await createPayout(merchant, { amount: 1_501, currency: 'usd' }, overKey);
    expect(replayedRefusal.statusCode).toBe(422);
    expect(replayedRefusal.headers['idempotent-replayed']).toBe('true');
  });

  it('lets concurrent payouts take exactly what the balance affords, never below zero', async () => {
    const merchant = await merchantWith('Concurrent', { usd: 1_000 });
    const attempts = 10;
    const answers = await Promise.all(
      Array.from({ length: attempts }, () => createPayout(merchant, { amount: 300, currency: 'usd' })),
    );
    const statuses = answers.map((answer) => answer.statusCode).sort();
    expect(statuses).toEqual([...Array<number>(3).fill(201), ...Array<number>(attempts - 3).fill(422)]);
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(100);
    for (const answer of answers.filter((each) => each.statusCode === 201)) {
      expect((await finalPayout(merchant, answer.json<Payout>().id)).status).toBe('paid');
    }
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(100);
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('lists payouts newest first, by status, a page at a time; another merchant’s payout is missing', async () => {
    const merchant = await merchantWith('Lister bank-late-fail', { usd: 10_000 });
    const ids: string[] = [];
    for (const amount of [100, 200, 300]) {
      ids.push((await createPayout(merchant, { amount, currency: 'usd' })).json<Payout>().id);
    }
    for (const id of ids) expect((await finalPayout(merchant, id)).status).toBe('failed');
    const paidMerchant = await merchantWith('Lister', { usd: 1_000 });
    const other = (await createPayout(paidMerchant, { amount: 100, currency: 'usd' })).json<Payout>();

    const client = clientAs(subject, merchant);
    const first = dataOf(await client.GET('/v1/payouts', { params: { query: { limit: 2 } } }), 'page 1');
    expect(first.data.map((payout) => payout.id)).toEqual([ids[2], ids[1]]);
    expect(first.has_more).toBe(true);
    const second = dataOf(
      await client.GET('/v1/payouts', { params: { query: { limit: 2, starting_after: ids[1] } } }),
      'page 2',
    );
    expect(second).toMatchObject({ object: 'list', has_more: false });
    expect(second.data.map((payout) => payout.id)).toEqual([ids[0]]);
    const failed = dataOf(await client.GET('/v1/payouts', { params: { query: { status: 'failed' } } }), 'failed');
    expect(failed.data).toHaveLength(3);
    const paid = dataOf(await client.GET('/v1/payouts', { params: { query: { status: 'paid' } } }), 'paid');
    expect(paid.data).toEqual([]);

    const bad = await subject.inject({ method: 'GET', url: '/v1/payouts?limit=0', headers: merchant.headers });
    expect(bad.statusCode).toBe(400);
    const badStatus = await subject.inject({
      method: 'GET',
      url: '/v1/payouts?status=lost',
      headers: merchant.headers,
    });
    expect(badStatus.statusCode).toBe(400);

    // Tenancy: another merchant's payout, and a malformed id, are answered as missing.
    expect((await getPayout(merchant, other.id)).statusCode).toBe(404);
    expect((await getPayout(merchant, 'po_nope')).statusCode).toBe(404);
    expect((await getPayout(paidMerchant, other.id)).statusCode).toBe(200);
  });

  it('serves GET /v1/payouts/:id from the cache and never stale after its writes', async () => {
    const merchant = await merchantWith('Cached', { usd: 1_000 });
    const created = (await createPayout(merchant, { amount: 700, currency: 'usd' })).json<Payout>();
    const read = await getPayout(merchant, created.id);
    expect(read.statusCode).toBe(200);
    // The read cached the payout as it was then (pending or later): every later step must replace it.
    const paid = await finalPayout(merchant, created.id);
    expect(paid.status).toBe('paid');
    const again = await getPayout(merchant, created.id);
    expect(again.json<Payout>()).toEqual(paid);
  });

  it('runs the automatic schedules once per period: whole positive balances, negative ones skipped', async () => {
    const admin = adminClient(subject);
    const daily = await merchantWith('Daily', { usd: 2_000, jpy: 500 });
    const weekly = await merchantWith('Weekly', { gbp: 900 });
    const manual = await merchantWith('Manual', { usd: 800 });
    const owing = await merchantWith('Owing', { usd: 600 });
    // Owing pays out everything, then refunds: negative USD, skipped by its schedule.
    const owingPayout = (await createPayout(owing, { amount: 600, currency: 'usd' })).json<Payout>();
    expect((await finalPayout(owing, owingPayout.id)).status).toBe('paid');
    const owingPayment = dataOf(await clientAs(subject, owing).GET('/v1/payments'), 'payments').data[0]!;
    await postAs(subject, owing, '/v1/refunds', { payment_id: owingPayment.id, amount: 100 }, uniqueKey());
    expect(available(await balanceOf(subject, owing), 'USD')).toBe(-100);

    const schedule = async (merchant: Merchant, payoutSchedule: 'daily' | 'weekly') => {
      const changed = await admin.PATCH('/v1/admin/merchants/{id}', {
        params: { path: { id: merchant.id } },
        body: { payout_schedule: payoutSchedule },
      });
      return dataOf(changed, 'patch merchant');
    };
    expect(await schedule(daily, 'daily')).toMatchObject({
      id: daily.id,
      object: 'merchant',
      payout_schedule: 'daily',
    });
    await schedule(weekly, 'weekly');
    await schedule(owing, 'daily');
    const read = dataOf(
      await admin.GET('/v1/admin/merchants/{id}', { params: { path: { id: weekly.id } } }),
      'merchant',
    );
    expect(read).toMatchObject<Partial<MerchantObject>>({ name: 'Weekly', payout_schedule: 'weekly' });
    expect(
      dataOf(await admin.GET('/v1/admin/merchants/{id}', { params: { path: { id: manual.id } } }), 'manual')
        .payout_schedule,
    ).toBe('manual');

    const run = async () => dataOf(await admin.POST('/v1/admin/payouts/run', { body: {} }), 'run').payouts_created;
    // Daily: USD and JPY; weekly: GBP; owing: nothing (negative); manual: nothing. Other tests' merchants are manual.
    expect(await run()).toBe(3);
    expect(await run()).toBe(0);

    const payoutsOf = async (merchant: Merchant) =>
      dataOf(await clientAs(subject, merchant).GET('/v1/payouts'), 'payouts').data;
    const dailyPayouts = await payoutsOf(daily);
    expect(dailyPayouts.map((payout) => [payout.currency, payout.amount, payout.method]).sort()).toEqual([
      ['JPY', 500, 'automatic'],
      ['USD', 2_000, 'automatic'],
    ]);
    expect((await payoutsOf(weekly)).map((payout) => [payout.currency, payout.amount])).toEqual([['GBP', 900]]);
    expect(await payoutsOf(manual)).toEqual([]);
    expect((await payoutsOf(owing)).map((payout) => payout.id)).toEqual([owingPayout.id]);
    for (const payout of dailyPayouts) expect((await finalPayout(daily, payout.id)).status).toBe('paid');
    expect(available(await balanceOf(subject, daily), 'USD')).toBe(0);

    // New money in the same period waits for the next one.
    const more = await createPayment(subject, daily, paymentBody({ amount: 300 }));
    await settledPayment(subject, daily, more.json<PaymentBody>().id);
    expect(await run()).toBe(0);

    // Unknown merchant, malformed or unknown schedule.
    const missing = await subject.inject({
      method: 'PATCH',
      url: '/v1/admin/merchants/mer_000000000000000000000000',
      headers: { 'x-admin-token': testAdminToken },
      payload: { payout_schedule: 'daily' },
    });
    expect(missing.statusCode).toBe(404);
    const badSchedule = await subject.inject({
      method: 'PATCH',
      url: `/v1/admin/merchants/${daily.id}`,
      headers: { 'x-admin-token': testAdminToken },
      payload: { payout_schedule: 'hourly' },
    });
    expect(badSchedule.statusCode).toBe(400);
    const renamed = await subject.inject({
      method: 'PATCH',
      url: `/v1/admin/merchants/${daily.id}`,
      headers: { 'x-admin-token': testAdminToken },
      payload: { payout_schedule: 'daily', name: 'Other' },
    });
    expect(renamed.json()).toMatchObject({ error: { code: 'parameter_unknown', param: 'name' } });
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('has the verifier find a payout whose money does not match its postings', async () => {
    const merchant = await merchantWith('Tampered', { usd: 1_000 });
    const payout = (await createPayout(merchant, { amount: 600, currency: 'usd' })).json<Payout>();
    expect((await finalPayout(merchant, payout.id)).status).toBe('paid');
    const database = subject.app.get(Database);
    // The stored amount changed behind the ledger's back: every posting of the payout now disagrees with it.
    await database.db.execute(sql`UPDATE payouts SET amount = amount + 1 WHERE id = ${payout.id}`);
    try {
      const verification = await verifyLedger(subject);
      expect(verification.balanced).toBe(false);
      expect(verification.mismatches).toContainEqual({
        check: 'payout_postings',
        id: payout.id,
        currency: 'USD',
        account: 'payout_paid/bank_payouts',
        expected: '-601',
        actual: '-600',
      });
    } finally {
      await database.db.execute(sql`UPDATE payouts SET amount = amount - 1 WHERE id = ${payout.id}`);
    }
    expect(await verifyLedger(subject)).toMatchObject({ balanced: true, mismatches: [] });
  });

  it('registers the daily and weekly job schedulers at 00:00 UTC', async () => {
    const queue = subject.app.get<Queue>(getQueueToken(PAYOUTS_QUEUE));
    const schedulers = await eventually(
      () => queue.getJobSchedulers(),
      (found) => found.length === 2,
      { what: 'payout job schedulers' },
    );
    expect(schedulers.map((scheduler) => [scheduler.key, scheduler.pattern, scheduler.tz]).sort()).toEqual([
      [RUN_DAILY_PAYOUTS_JOB, '0 0 * * *', 'UTC'],
      [RUN_WEEKLY_PAYOUTS_JOB, '0 0 * * 1', 'UTC'],
    ]);
  });
});
