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
  testCards,
  uniqueKey,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { startTestApp, type TestApp, testAdminToken } from './support/test-app';

describe('payments over HTTP', () => {
  let subject: TestApp;
  let merchant: Merchant;
  let database: Database;

  beforeAll(async () => {
    subject = await startTestApp(fastProcessing);
    merchant = await createMerchant(subject);
    database = subject.app.get(Database);
  });
  afterAll(async () => {
    await subject.close();
  });

  async function countPayments(merchantId = merchant.id): Promise<number> {
    const result = await database.db.execute<{ count: string }>(
      sql`SELECT count(*) FROM payments WHERE merchant_id = ${merchantId}`,
    );
    return Number(result.rows[0]!.count);
  }

  describe('merchants', () => {
    it('are created by an operator, with a secret key shown once', async () => {
      const response = await subject.inject({
        method: 'POST',
        url: '/v1/admin/merchants',
        headers: { 'x-admin-token': testAdminToken },
        payload: { name: 'Globex' },
      });
      expect(response.statusCode).toBe(201);
      const body = response.json<{ id: string; name: string; api_key: string; created_at: string }>();
      expect(body.id).toMatch(/^mer_/);
      expect(body.name).toBe('Globex');
      expect(body.api_key).toMatch(/^sk_test_[A-Za-z0-9_-]{43,}$/);
      const stored = await database.db.execute(sql`SELECT key_hash FROM api_keys WHERE merchant_id = ${body.id}`);
      expect(JSON.stringify(stored.rows)).not.toContain(body.api_key);
    });

    it('refuse a missing or wrong operator token with 401', async () => {
      for (const headers of [{}, { 'x-admin-token': 'wrong' }, { 'x-admin-token': `${testAdminToken}x` }]) {
        const response = await subject.inject({
          method: 'POST',
          url: '/v1/admin/merchants',
          headers,
          payload: { name: 'Nope' },
        });
        expect(response.statusCode).toBe(401);
        expect(response.json().error.type).toBe('authentication_error');
      }
    });
  });

  describe('authentication', () => {
    it('answers a missing key with 401 api_key_missing and a wrong one with api_key_invalid', async () => {
      const missing = await subject.inject({ method: 'GET', url: '/v1/payments' });
      expect(missing.statusCode).toBe(401);
      expect(missing.json().error.code).toBe('api_key_missing');
      for (const authorization of ['Bearer sk_test_nope', 'Basic abc', `Bearer ${merchant.apiKey}x`]) {
        const wrong = await subject.inject({ method: 'GET', url: '/v1/payments', headers: { authorization } });
        expect(wrong.statusCode).toBe(401);
        expect(wrong.json().error.code).toBe('api_key_invalid');
      }
    });
  });

  describe('the test cards', () => {
    it.each([
      [testCards.visa, 'succeeded', null, 'visa'],
      [testCards.mastercard, 'succeeded', null, 'mastercard'],
      [testCards.declined, 'failed', 'card_declined', 'visa'],
      [testCards.insufficientFunds, 'failed', 'insufficient_funds', 'visa'],
      [testCards.transientTwice, 'succeeded', null, 'visa'],
      [testCards.alwaysTimeout, 'failed', 'processing_error', 'visa'],
    ])('%s ends %s (%s)', async (number, status, failureCode, brand) => {
      const created = await createPayment(subject, merchant, paymentBody({}, { number }));
      expect(created.statusCode).toBe(202);
      const accepted = created.json<PaymentBody>();
      expect(accepted).toMatchObject({
        status: 'processing',
        amount: 1099,
        currency: 'USD',
        capture_method: 'automatic',
      });
      expect(accepted.card).toMatchObject({ brand, last4: number.slice(-4) });
      expect(created.body).not.toContain(number);
      const settled = await settledPayment(subject, merchant, accepted.id);
      expect(settled.status).toBe(status);
      expect(settled.failure_code).toBe(failureCode);
      expect(settled.amount_captured).toBe(status === 'succeeded' ? 1099 : 0);
    });

    it('retries 4000000000000119 through BullMQ: two failed attempts, then success', async () => {
      const created = await createPayment(subject, merchant, paymentBody({}, { number: testCards.transientTwice }));
      const payment = await settledPayment(subject, merchant, created.json<PaymentBody>().id);
      expect(payment.status).toBe('succeeded');
      const outbox = await database.db.execute<{ id: string }>(
        sql`SELECT id FROM outbox WHERE payload->>'paymentId' = ${payment.id} AND topic = 'payment.authorize'`,
      );
      const { Queue } = await import('bullmq');
      const queue = new Queue('payments', {
        connection: { url: subject.config.redis.url },
        prefix: subject.config.redis.queuePrefix,
      });
      try {
        const job = await queue.getJob(outbox.rows[0]!.id);
        expect(job?.attemptsMade).toBe(3);
        expect(await job?.getState()).toBe('completed');
      } finally {
        await queue.close();
      }
    });

    it('posts a succeeded payment to the ledger as clearing debit and merchant credit', async () => {
      const created = await createPayment(subject, merchant, paymentBody({ amount: 5000, currency: 'jpy' }));
      const payment = await settledPayment(subject, merchant, created.json<PaymentBody>().id);
      expect(payment).toMatchObject({ status: 'succeeded', currency: 'JPY', amount_captured: 5000 });
      const postings = await database.db.execute<{ kind: string; amount: string }>(sql`
        SELECT a.kind, p.amount FROM ledger_postings p
        JOIN ledger_transactions t ON t.id = p.transaction_id JOIN ledger_accounts a ON a.id = p.account_id
        WHERE t.payment_id = ${payment.id} AND t.kind <> 'network_fee' ORDER BY a.kind`);
      expect(postings.rows).toEqual([
        { kind: 'merchant_available', amount: '-5000' },
        { kind: 'network_clearing', amount: '5000' },
      ]);
      // A sale: the network captured with the approval, so its fee (0.20 % + 5) is committed with the settlement.
      const fee = await database.db.execute<{ kind: string; amount: string }>(sql`
        SELECT a.kind, p.amount FROM ledger_postings p
        JOIN ledger_transactions t ON t.id = p.transaction_id JOIN ledger_accounts a ON a.id = p.account_id
        WHERE t.payment_id = ${payment.id} AND t.kind = 'network_fee' ORDER BY a.kind`);
      expect(fee.rows).toEqual([
        { kind: 'network_clearing', amount: '-15' },
        { kind: 'network_fees', amount: '15' },
      ]);
    });

    it('erases the card vault entry once the payment is final', async () => {
      // Jobs and outbox rows carry no vault token; an entry is made only by a create, so the entries that exist
      // afterwards and not before are this payment's.
      const vaultTokens = async () =>
        (await database.db.execute<{ token: string }>(sql`SELECT token FROM card_vault`)).rows.map((row) => row.token);
      const before = new Set(await vaultTokens());
      const created = await createPayment(subject, merchant);
      const payment = await settledPayment(subject, merchant, created.json<PaymentBody>().id);
      const row = await database.db.execute<{ vault_token: string | null }>(
        sql`SELECT vault_token FROM payments WHERE id = ${payment.id}`,
      );
      expect(row.rows[0]!.vault_token).toBeNull();
      expect((await vaultTokens()).filter((token) => !before.has(token))).toEqual([]);
    });
  });

  describe('idempotency', () => {
    it('replays the first response for the same key and body, marked Idempotent-Replayed', async () => {
      const key = uniqueKey('replay');
      const first = await createPayment(subject, merchant, paymentBody(), key);
      const second = await createPayment(subject, merchant, paymentBody(), key);
      expect(second.statusCode).toBe(first.statusCode);
      expect(second.json()).toEqual(first.json());
      expect(second.headers['idempotent-replayed']).toBe('true');
      expect(first.headers['idempotent-replayed']).toBeUndefined();
    });

    it('refuses the same key with another body or path with 422 idempotency_key_reused', async () => {
      const key = uniqueKey('reuse');
      await createPayment(subject, merchant, paymentBody(), key);
      const before = await countPayments();
      const reused = await createPayment(subject, merchant, paymentBody({ amount: 2000 }), key);
      expect(reused.statusCode).toBe(422);
      expect(reused.json().error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_reused' });
      expect(await countPayments()).toBe(before);
    });

    it('answers 409 idempotency_key_in_use while the first request is in flight', async () => {
      const key = uniqueKey('inflight');
      // The first request holds the key: its row exists with no response yet.
      await database.db.execute(sql`
        INSERT INTO idempotency_keys (scope, key, request_fingerprint, locked_at, expires_at)
        VALUES (${merchant.id}, ${key}, 'in-flight', now(), now() + interval '1 day')`);
      const concurrent = await createPayment(subject, merchant, paymentBody(), key);
      expect(concurrent.statusCode).toBe(409);
      expect(concurrent.json().error).toMatchObject({ type: 'idempotency_error', code: 'idempotency_key_in_use' });
    });

    it('creates exactly one payment from 50 concurrent identical requests', async () => {
      const racer = await createMerchant(subject, 'Racer');
      const key = uniqueKey('race');
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => createPayment(subject, racer, paymentBody(), key)),
      );
      expect(await countPayments(racer.id)).toBe(1);
      const succeeded = responses.filter((response) => response.statusCode === 202);
      expect(succeeded.length).toBeGreaterThanOrEqual(1);
      expect(new Set(succeeded.map((response) => response.json<PaymentBody>().id)).size).toBe(1);
      for (const response of responses) expect([202, 409]).toContain(response.statusCode);
      const replay = await createPayment(subject, racer, paymentBody(), key);
      expect(replay.statusCode).toBe(202);
      expect(replay.json<PaymentBody>().id).toBe(succeeded[0]!.json<PaymentBody>().id);
    });

    it('requires an Idempotency-Key on payment creation and validates it', async () => {
      const before = await countPayments();
      const missing = await subject.inject({
        method: 'POST',
        url: '/v1/payments',
        headers: merchant.headers,
        payload: paymentBody(),
      });
      expect(missing.statusCode).toBe(400);
      expect(missing.json().error).toMatchObject({ code: 'parameter_missing', param: 'Idempotency-Key' });
      const tooLong = await createPayment(subject, merchant, paymentBody(), 'k'.repeat(256));
      expect(tooLong.statusCode).toBe(400);
      expect(tooLong.json().error).toMatchObject({ code: 'parameter_invalid', param: 'Idempotency-Key' });
      expect(await countPayments()).toBe(before);
    });

    it('stores nothing for a request rejected by validation, so the key can be corrected and reused', async () => {
      const key = uniqueKey('corrected');
      const invalid = await createPayment(subject, merchant, paymentBody({ amount: -1 }), key);
      expect(invalid.statusCode).toBe(400);
      const corrected = await createPayment(subject, merchant, paymentBody(), key);
      expect(corrected.statusCode).toBe(202);
    });

    it('keeps keys per merchant: the same key at two merchants makes two payments', async () => {
      const other = await createMerchant(subject, 'Other');
      const key = uniqueKey('scoped');
      const mine = await createPayment(subject, merchant, paymentBody(), key);
      const theirs = await createPayment(subject, other, paymentBody(), key);
      expect(theirs.statusCode).toBe(202);
      expect(theirs.json<PaymentBody>().id).not.toBe(mine.json<PaymentBody>().id);
    });
  });

  describe('tenancy', () => {
    it("answers another merchant's payment exactly like a missing one and never lists it", async () => {
      const intruder = await createMerchant(subject, 'Intruder');
      const created = await createPayment(subject, merchant);
      const id = created.json<PaymentBody>().id;
      const foreign = await subject.inject({ method: 'GET', url: `/v1/payments/${id}`, headers: intruder.headers });
      const missing = await subject.inject({
        method: 'GET',
        url: `/v1/payments/pay_${'x'.repeat(24)}`,
        headers: intruder.headers,
      });
      expect(foreign.statusCode).toBe(404);
      expect(foreign.json().error.code).toBe('resource_missing');
      expect(missing.statusCode).toBe(404);
      const list = await subject.inject({ method: 'GET', url: '/v1/payments?limit=100', headers: intruder.headers });
      expect(list.json<{ data: PaymentBody[] }>().data.map((payment) => payment.id)).not.toContain(id);
    });

    it('answers a malformed id with 404 like a missing one', async () => {
      for (const id of ['nope', 'pay_short', 're_aaaaaaaaaaaaaaaaaaaaaaaa', `pay_${'a'.repeat(23)}!`]) {
        const response = await subject.inject({
          method: 'GET',
          url: `/v1/payments/${encodeURIComponent(id)}`,
          headers: merchant.headers,
        });
        expect(response.statusCode).toBe(404);
        expect(response.json().error.code).toBe('resource_missing');
      }
    });
  });

  describe('bad input', () => {
    const year = new Date().getUTCFullYear();
    const cases: [string, unknown, string, string][] = [
      ['a float amount', paymentBody({ amount: 10.5 }), 'parameter_invalid', 'amount'],
      ['a string amount', paymentBody({ amount: '1099' }), 'parameter_invalid', 'amount'],
      ['a negative amount', paymentBody({ amount: -5 }), 'parameter_invalid', 'amount'],
      ['a zero amount', paymentBody({ amount: 0 }), 'parameter_invalid', 'amount'],
      ['an amount too large', paymentBody({ amount: 100_000_000_000 }), 'parameter_invalid', 'amount'],
      ['a missing amount', { ...paymentBody(), amount: undefined }, 'parameter_missing', 'amount'],
      ['an unknown currency', paymentBody({ currency: 'abc' }), 'parameter_invalid', 'currency'],
      ['a non-currency code', paymentBody({ currency: 'XAU' }), 'parameter_invalid', 'currency'],
      [
        'a number failing Luhn',
        paymentBody({}, { number: '4242424242424241' }),
        'card_number_invalid',
        'payment_method.card.number',
      ],
      ['a number too short', paymentBody({}, { number: '4242' }), 'card_number_invalid', 'payment_method.card.number'],
      [
        'an expiry in the past',
        paymentBody({}, { exp_year: year - 1 }),
        'parameter_invalid',
        'payment_method.card.exp_year',
      ],
      ['a month of 13', paymentBody({}, { exp_month: 13 }), 'parameter_invalid', 'payment_method.card.exp_month'],
      ['a five-digit year', paymentBody({}, { exp_year: 20300 }), 'parameter_invalid', 'payment_method.card.exp_year'],
      ['a two-digit year', paymentBody({}, { exp_year: 30 }), 'parameter_invalid', 'payment_method.card.exp_year'],
      ['a cvc of letters', paymentBody({}, { cvc: 'abc' }), 'parameter_invalid', 'payment_method.card.cvc'],
      ['an unknown field', paymentBody({ status: 'succeeded' }), 'parameter_unknown', 'status'],
      ['an unknown card field', paymentBody({}, { name: 'Jane' }), 'parameter_unknown', 'payment_method.card.name'],
      ['an unknown capture method', paymentBody({ capture_method: 'later' }), 'parameter_invalid', 'capture_method'],
      ['a description too long', paymentBody({ description: 'd'.repeat(1001) }), 'parameter_invalid', 'description'],
      [
        'too many metadata keys',
        paymentBody({ metadata: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) }),
        'parameter_invalid',
        'metadata',
      ],
      ['a metadata value that is not a string', paymentBody({ metadata: { a: 1 } }), 'parameter_invalid', 'metadata.a'],
      [
        'another payment method',
        paymentBody({ payment_method: { type: 'bank' } }),
        'parameter_invalid',
        'payment_method.type',
      ],
    ];

    it.each(cases)('rejects %s with 400 and creates nothing', async (_label, body, code, param) => {
      const before = await countPayments();
      const response = await createPayment(subject, merchant, body);
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({ type: 'invalid_request_error', code, param });
      expect(response.body).not.toContain('4242424242424241');
      expect(await countPayments()).toBe(before);
    });

    it('accepts lower and upper case currencies and returns upper case', async () => {
      for (const currency of ['eur', 'EUR', 'Bhd']) {
        const response = await createPayment(subject, merchant, paymentBody({ currency }));
        expect(response.statusCode).toBe(202);
        expect(response.json<PaymentBody>().currency).toBe(currency.toUpperCase());
      }
    });

    it('accepts the largest amount and card numbers written with spaces', async () => {
      const response = await createPayment(
        subject,
        merchant,
        paymentBody({ amount: 99_999_999_999 }, { number: '4242 4242 4242 4242' }),
      );
      expect(response.statusCode).toBe(202);
      expect(response.json<PaymentBody>()).toMatchObject({ amount: 99_999_999_999, card: { last4: '4242' } });
    });

    it('keeps metadata and description', async () => {
      const response = await createPayment(
        subject,
        merchant,
        paymentBody({ description: 'Order #1001', metadata: { order_id: '1001' } }),
      );
      const payment = await getPayment(subject, merchant, response.json<PaymentBody>().id);
      expect(payment).toMatchObject({ description: 'Order #1001', metadata: { order_id: '1001' } });
    });
  });

  describe('listing', () => {
    it('pages newest first without overlap, and filters by status', async () => {
      const lister = await createMerchant(subject, 'Lister');
      const created: string[] = [];
      for (let index = 0; index < 7; index += 1) {
        const number = index % 3 === 0 ? testCards.declined : testCards.visa;
        const response = await createPayment(subject, lister, paymentBody({ amount: 100 + index }, { number }));
        created.push(response.json<PaymentBody>().id);
      }
      for (const id of created) await settledPayment(subject, lister, id);
      const seen: string[] = [];
      let startingAfter: string | undefined;
      for (;;) {
        const query = `limit=3${startingAfter ? `&starting_after=${startingAfter}` : ''}`;
        const page = await subject.inject({ method: 'GET', url: `/v1/payments?${query}`, headers: lister.headers });
        expect(page.statusCode).toBe(200);
        const body = page.json<{ object: string; data: PaymentBody[]; has_more: boolean }>();
        expect(body.object).toBe('list');
        seen.push(...body.data.map((payment) => payment.id));
        if (!body.has_more) break;
        startingAfter = body.data.at(-1)!.id;
      }
      expect(seen).toEqual([...created].reverse());
      const failed = await subject.inject({
        method: 'GET',
        url: '/v1/payments?status=failed&limit=100',
        headers: lister.headers,
      });
      const failedIds = failed.json<{ data: PaymentBody[] }>().data.map((payment) => payment.id);
      expect(failedIds).toEqual([created[6], created[3], created[0]]);
    });

    it.each(['limit=0', 'limit=101', 'limit=abc', 'status=paid', 'starting_after=nope', 'colour=blue'])(
      'rejects %s with 400',
      async (query) => {
        const response = await subject.inject({
          method: 'GET',
          url: `/v1/payments?${query}`,
          headers: merchant.headers,
        });
        expect(response.statusCode).toBe(400);
        expect(response.json().error.type).toBe('invalid_request_error');
      },
    );

    it('defaults to 10 per page', async () => {
      for (let index = 0; index < 11; index += 1) await createPayment(subject, merchant);
      const page = await subject.inject({ method: 'GET', url: '/v1/payments', headers: merchant.headers });
      expect(page.json<{ data: unknown[]; has_more: boolean }>()).toMatchObject({ has_more: true });
      expect(page.json<{ data: unknown[] }>().data).toHaveLength(10);
    });
  });
});
