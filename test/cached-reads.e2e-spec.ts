import { newId } from '../src/common/ids';
import { Database } from '../src/database/database';
import { HotCache } from '../src/caching/hot-cache.service';
import { paymentCache } from '../src/payments/payment-cache';
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
import { available, balanceOf, postAs } from './support/money';
import { OwnRedis } from './support/own-redis';
import { startTestApp, type TestApp } from './support/test-app';

/** Counts the SELECTs on one table that reach PostgreSQL through the pool; every call still goes to the database. */
function countSelects(subject: TestApp, table: string): { count: () => number; restore: () => void } {
  const pool = subject.app.get(Database).pool;
  const original = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  let selects = 0;
  const spy = jest.spyOn(pool, 'query').mockImplementation((...args: unknown[]) => {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (text && /^select/i.test(text) && text.includes(`from "${table}"`)) selects += 1;
    return original(...args);
  });
  return { count: () => selects, restore: () => spy.mockRestore() };
}

describe('hot reads from the cache', () => {
  let subject: TestApp;
  let merchant: Merchant;

  beforeAll(async () => {
    subject = await startTestApp(fastProcessing);
    merchant = await createMerchant(subject);
  });
  afterAll(async () => {
    await subject.close();
  });

  it('is always fresh after a write: payment after capture and refund, balance after settle and refund', async () => {
    const created = await createPayment(subject, merchant, paymentBody({ amount: 1000, capture_method: 'manual' }));
    const id = created.json<PaymentBody>().id;
    const held = await settledPayment(subject, merchant, id);
    expect(held.status).toBe('requires_capture');
    expect(await getPayment(subject, merchant, id)).toMatchObject({ status: 'requires_capture' });
    const before = available(await balanceOf(subject, merchant), 'USD');

    const capture = await postAs(subject, merchant, `/v1/payments/${id}/capture`, { amount: 600 });
    expect(capture.statusCode).toBe(200);
    expect(await getPayment(subject, merchant, id)).toMatchObject({ status: 'succeeded', amount_captured: 600 });
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(before + 600);

    const refund = await postAs(subject, merchant, '/v1/refunds', { payment_id: id, amount: 250 }, uniqueKey());
    expect(refund.statusCode).toBe(201);
    expect(await getPayment(subject, merchant, id)).toMatchObject({ amount_refunded: 250 });
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(before + 350);

    // Settled by the worker: the worker's commit invalidates too, so a read after it sees the new status.
    const automatic = await createPayment(subject, merchant, paymentBody({ amount: 100 }));
    const automaticId = automatic.json<PaymentBody>().id;
    expect((await getPayment(subject, merchant, automaticId)).status).toBe('processing');
    const settled = await settledPayment(subject, merchant, automaticId);
    expect(settled.status).toBe('succeeded');
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(before + 450);
  });

  it("never serves merchant A's cached entry to merchant B", async () => {
    const other = await createMerchant(subject, 'Other');
    const created = await createPayment(subject, merchant);
    const id = created.json<PaymentBody>().id;
    await getPayment(subject, merchant, id);
    await getPayment(subject, merchant, id);
    const foreign = await subject.inject({ method: 'GET', url: `/v1/payments/${id}`, headers: other.headers });
    expect(foreign.statusCode).toBe(404);
    await balanceOf(subject, merchant);
    expect(await balanceOf(subject, other)).toEqual({ object: 'balance', available: [], pending: [] });
  });

  it('reads a cold payment from PostgreSQL once for 200 concurrent requests', async () => {
    const created = await createPayment(subject, merchant);
    const id = created.json<PaymentBody>().id;
    await settledPayment(subject, merchant, id);
    await subject.app.get(HotCache).invalidate(paymentCache, merchant.id, id);
    const selects = countSelects(subject, 'payments');
    try {
      const responses = await Promise.all(
        Array.from({ length: 200 }, () =>
          subject.inject({ method: 'GET', url: `/v1/payments/${id}`, headers: merchant.headers }),
        ),
      );
      expect(new Set(responses.map((response) => response.statusCode))).toEqual(new Set([200]));
      expect(new Set(responses.map((response) => response.body)).size).toBe(1);
      expect(selects.count()).toBe(1);
    } finally {
      selects.restore();
    }
  });

  it('reads each random well-formed unknown id from PostgreSQL once, not once per request', async () => {
    const ids = Array.from({ length: 25 }, () => newId('pay'));
    const selects = countSelects(subject, 'payments');
    try {
      for (let round = 0; round < 4; round += 1) {
        const responses = await Promise.all(
          ids.map((id) => subject.inject({ method: 'GET', url: `/v1/payments/${id}`, headers: merchant.headers })),
        );
        for (const response of responses) expect(response.statusCode).toBe(404);
      }
      expect(selects.count()).toBe(ids.length);
    } finally {
      selects.restore();
    }
  });

  it('rejects malformed ids before any lookup', async () => {
    const selects = countSelects(subject, 'payments');
    const cacheBefore = subject.app.get(HotCache).snapshot(paymentCache);
    try {
      for (const id of ['nope', 'pay_123', 'pay:x', `re_${'a'.repeat(24)}`]) {
        const response = await subject.inject({
          method: 'GET',
          url: `/v1/payments/${encodeURIComponent(id)}`,
          headers: merchant.headers,
        });
        expect(response.statusCode).toBe(404);
      }
      expect(selects.count()).toBe(0);
      // Not a cache read either: no hit, miss or error counted for payments.
      expect(subject.app.get(HotCache).snapshot(paymentCache)).toEqual(cacheBefore);
    } finally {
      selects.restore();
    }
  });
});

describe('hot reads with the cache Redis down', () => {
  let cacheRedis: OwnRedis;
  let subject: TestApp;

  beforeAll(async () => {
    cacheRedis = await OwnRedis.start();
    subject = await startTestApp({ ...fastProcessing, CACHE_REDIS_URL: cacheRedis.url });
  });
  afterAll(async () => {
    await subject.close();
    await cacheRedis.stop();
  });

  it('still answers 200 with correct data from PostgreSQL', async () => {
    const merchant = await createMerchant(subject);
    const created = await createPayment(subject, merchant, paymentBody({ amount: 4321 }));
    const id = created.json<PaymentBody>().id;
    await settledPayment(subject, merchant, id);
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(4321);

    await cacheRedis.stop();
    const payment = await getPayment(subject, merchant, id);
    expect(payment).toMatchObject({ id, status: 'succeeded', amount_captured: 4321 });
    const refund = await postAs(subject, merchant, '/v1/refunds', { payment_id: id, amount: 321 }, uniqueKey());
    expect(refund.statusCode).toBe(201);
    expect(await getPayment(subject, merchant, id)).toMatchObject({ amount_refunded: 321 });
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(4000);
    const another = await createPayment(subject, merchant, paymentBody({ amount: 1000 }));
    expect(another.statusCode).toBe(202);
    expect((await settledPayment(subject, merchant, another.json<PaymentBody>().id)).status).toBe('succeeded');
    expect(available(await balanceOf(subject, merchant), 'USD')).toBe(5000);
  });
});
