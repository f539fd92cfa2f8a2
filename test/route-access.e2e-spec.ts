import { Controller, Get, HttpCode, Module, Param, Post } from '@nestjs/common';
import { CurrentMerchant } from '../src/auth/current-merchant.decorator';
import { Operator, Public } from '../src/http/route-access';
import { IdempotencyService } from '../src/idempotency/idempotency.service';
import type { IdempotentCall } from '../src/idempotency/idempotent-call';
import { Idempotent } from '../src/idempotency/idempotent.decorator';
import { createMerchant, createPayment, type Merchant, paymentBody, settledPayment, uniqueKey } from './support/api';
import { startTestApp, testAdminToken, type TestApp } from './support/test-app';

/** A route as a team would add it, with no decorator: it must ask for a merchant's key. */
@Controller('route-access-probe')
class UndecoratedController {
  @Get('undecorated')
  undecorated() {
    return { reached: true };
  }

  @Get('merchant')
  merchant(@CurrentMerchant() merchantId: string) {
    return { merchant: merchantId };
  }

  @Public()
  @Get('public')
  open() {
    return { reached: true };
  }

  @Operator()
  @Get('operator')
  operator() {
    return { reached: true };
  }

  /** Counts its runs, so a replay can be told from a second run. */
  @Post('things/:name')
  @HttpCode(201)
  thing(@Param('name') name: string, @Idempotent({ required: false }) call: IdempotentCall) {
    return call.run(() => {
      runs += 1;
      return Promise.resolve({ name, run: runs });
    });
  }
}

let runs = 0;

@Module({ controllers: [UndecoratedController] })
class RouteAccessProbeModule {}

function get(subject: TestApp, url: string, headers: Record<string, string> = {}) {
  return subject.inject({ method: 'GET', url, headers });
}

describe('route access: one global guard, secure by default', () => {
  let subject: TestApp;
  let merchant: Merchant;

  beforeAll(async () => {
    subject = await startTestApp({}, { imports: [RouteAccessProbeModule] });
    merchant = await createMerchant(subject);
  });
  afterAll(async () => {
    await subject.close();
  });

  it('asks for a merchant API key on a route that declares nothing', async () => {
    const missing = await get(subject, '/route-access-probe/undecorated');
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toMatchObject({ error: { type: 'authentication_error', code: 'api_key_missing' } });
    const invalid = await get(subject, '/route-access-probe/undecorated', { authorization: 'Bearer sk_test_nope' });
    expect(invalid.statusCode).toBe(401);
    expect(invalid.json()).toMatchObject({ error: { code: 'api_key_invalid' } });
    const adminOnly = await get(subject, '/route-access-probe/undecorated', { 'x-admin-token': testAdminToken });
    expect(adminOnly.statusCode).toBe(401);
    const admitted = await get(subject, '/route-access-probe/undecorated', merchant.headers);
    expect([admitted.statusCode, admitted.json()]).toEqual([200, { reached: true }]);
  });

  it('gives the handler the merchant of the key through @CurrentMerchant()', async () => {
    const other = await createMerchant(subject, 'Other');
    for (const who of [merchant, other]) {
      const response = await get(subject, '/route-access-probe/merchant', who.headers);
      expect(response.json()).toEqual({ merchant: who.id });
    }
  });

  it.each(['/route-access-probe/public', '/health/live', '/health/ready', '/metrics', '/docs-json'])(
    'opens %s to anyone, with no credential',
    async (url) => {
      const response = await get(subject, url);
      expect(response.statusCode).toBe(200);
    },
  );

  it('asks for the admin token on @Operator() routes, and a merchant key is not it', async () => {
    for (const url of ['/route-access-probe/operator', '/v1/admin/ledger/verify']) {
      for (const headers of [{}, merchant.headers, { 'x-admin-token': 'wrong' }]) {
        const refused = await get(subject, url, headers);
        expect([url, refused.statusCode]).toEqual([url, 401]);
        expect(refused.json()).toMatchObject({ error: { code: 'admin_token_invalid' } });
      }
      const admitted = await get(subject, url, { 'x-admin-token': testAdminToken });
      expect([url, admitted.statusCode]).toEqual([url, 200]);
    }
  });

  it('replays an @Idempotent() route from its matched path, and refuses the key on another path', async () => {
    const key = uniqueKey('probe');
    const send = (url: string) =>
      subject.inject({ method: 'POST', url, headers: { ...merchant.headers, 'idempotency-key': key }, payload: {} });
    const first = await send('/route-access-probe/things/a');
    expect([first.statusCode, first.headers['idempotent-replayed']]).toEqual([201, undefined]);
    // The same route however it is spelled: a query string and percent-encoding change nothing.
    for (const url of [
      '/route-access-probe/things/a',
      '/route-access-probe/things/a?x=1',
      '/route-access-probe/things/%61',
    ]) {
      const replay = await send(url);
      expect([url, replay.statusCode, replay.headers['idempotent-replayed'], replay.body]).toEqual([
        url,
        201,
        'true',
        first.body,
      ]);
    }
    const otherPath = await send('/route-access-probe/things/b');
    expect(otherPath.statusCode).toBe(422);
    expect(otherPath.json()).toMatchObject({ error: { code: 'idempotency_key_reused' } });
  });

  it('checks a webhook URL after the key and before claiming it: a refused URL is not the key’s answer', async () => {
    const create = (url: string, key: string) =>
      subject.inject({
        method: 'POST',
        url: '/v1/webhook_endpoints',
        headers: { ...merchant.headers, 'idempotency-key': key },
        payload: { url, enabled_events: ['*'] },
      });
    const badKey = await create('ftp://example.com/hook', 'not\u0001printable');
    expect(badKey.json()).toMatchObject({ error: { code: 'parameter_invalid', param: 'Idempotency-Key' } });
    const key = uniqueKey('endpoint');
    const refused = await create('ftp://example.com/hook', key);
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ error: { code: 'parameter_invalid', param: 'url' } });
    const created = await create('https://example.com/hook', key);
    expect([created.statusCode, created.headers['idempotent-replayed']]).toEqual([201, undefined]);
    const replay = await create('https://example.com/hook', key);
    expect([replay.statusCode, replay.headers['idempotent-replayed'], replay.body]).toEqual([
      201,
      'true',
      created.body,
    ]);
  });

  it('replays a capture stored under the path the handlers typed by hand before (/v1/payments/:id/capture)', async () => {
    const created = await createPayment(subject, merchant, paymentBody({ capture_method: 'manual' }));
    const payment = await settledPayment(subject, merchant, created.json<{ id: string }>().id);
    expect(payment.status).toBe('requires_capture');
    const key = uniqueKey('capture');
    // What the controller stored before: the path spelled out, the body as sent.
    const stored = { status: 200, body: { id: payment.id, stored: 'before the upgrade' } };
    await subject.app
      .get(IdempotencyService)
      .execute({ scope: merchant.id, key, method: 'POST', path: `/v1/payments/${payment.id}/capture`, body: {} }, () =>
        Promise.resolve(stored),
      );
    const replay = await subject.inject({
      method: 'POST',
      url: `/v1/payments/${payment.id}/capture`,
      headers: { ...merchant.headers, 'idempotency-key': key },
      payload: {},
    });
    expect([replay.statusCode, replay.headers['idempotent-replayed'], replay.json()]).toEqual([
      200,
      'true',
      stored.body,
    ]);
  });
});

describe('route access with the per-merchant rate limit on', () => {
  const limitPerSecond = 2;
  let subject: TestApp;

  beforeAll(async () => {
    subject = await startTestApp(
      { RATE_LIMIT_PER_SECOND: String(limitPerSecond) },
      { imports: [RouteAccessProbeModule] },
    );
  });
  afterAll(async () => {
    await subject.close();
  });

  it('limits a merchant on any route that takes its key, a new undecorated one included', async () => {
    const merchant = await createMerchant(subject);
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => get(subject, '/route-access-probe/undecorated', merchant.headers)),
    );
    const limited = responses.filter((response) => response.statusCode === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limited' } });
    expect(limited[0]!.headers['retry-after']).toBe('1');
  });

  it('limits neither public nor operator routes, which name no merchant', async () => {
    const statuses = await Promise.all([
      ...Array.from({ length: 10 }, () => get(subject, '/route-access-probe/public')),
      ...Array.from({ length: 10 }, () =>
        get(subject, '/route-access-probe/operator', { 'x-admin-token': testAdminToken }),
      ),
    ]);
    expect(new Set(statuses.map((response) => response.statusCode))).toEqual(new Set([200]));
  });
});
