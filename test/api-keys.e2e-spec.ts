import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Cache } from '@nestjs/cache-manager';
import { Logger } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import type { components } from '../packages/client/src';
import { apiKeyShapeOf } from '../src/auth/api-key-format';
import { sha256Hex } from '../src/common/crypto/secret-hash';
import { connectCacheStore } from '../src/caching/cache-store';
import { HotCache } from '../src/caching/hot-cache.service';
import { newId } from '../src/common/ids';
import { Database } from '../src/database/database';
import { apiKeyCache, apiKeyCacheScope } from '../src/merchants/api-key-cache';
import { ApiKeysService } from '../src/merchants/api-keys.service';
import { MetricsRegistry } from '../src/metrics/metrics-registry';
import { AuthFailureLimiter, authFailureKeys } from '../src/rate-limit/auth-failure-limiter.service';
import { apiKeysCall, createMerchant, eventually, type Merchant } from './support/api';
import { TcpProxy } from './support/events-tcp-proxy';
import { startTestApp, testAdminToken, type TestApp } from './support/test-app';
import { dropDatabase, uniqueDatabaseName } from './support/test-database';

/** A key as listed, or as created (with its secret `api_key`, shown once). */
type ApiKeyBody = components['schemas']['ApiKey'] & Partial<Pick<components['schemas']['ApiKeyCreated'], 'api_key'>>;

function balance(subject: TestApp, key: string, headers: Record<string, string> = {}) {
  return subject.inject({ method: 'GET', url: '/v1/balance', headers: { authorization: `Bearer ${key}`, ...headers } });
}

/** Counts the queries on api_keys that reach PostgreSQL through the pool; every call still goes to the database. */
function countApiKeyQueries(subject: TestApp): { count: () => number; restore: () => void } {
  const pool = subject.app.get(Database).pool;
  const original = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  let queries = 0;
  const spy = jest.spyOn(pool, 'query').mockImplementation((...args: unknown[]) => {
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (text?.includes('"api_keys"')) queries += 1;
    return original(...args);
  });
  return { count: () => queries, restore: () => spy.mockRestore() };
}

/** A key as clients mistype or invent them: right prefix and length, wrong checksum. */
function mistyped(key: string): string {
  const index = 20;
  return key.slice(0, index) + (key[index] === 'a' ? 'b' : 'a') + key.slice(index + 1);
}

function legacyShapedKey(): string {
  return `sk_test_${randomBytes(32).toString('base64url')}`;
}

const notFound = (message: string) => ({ error: { type: 'invalid_request_error', code: 'resource_missing', message } });

const apiKeyInProcessTtlMs = apiKeyCache.inProcess!.ttlMs;

describe('API keys (operator)', () => {
  let subject: TestApp;
  // Another process of the same deployment: same database, same cache Redis and prefix.
  let other: TestApp;
  let merchant: Merchant;

  beforeAll(async () => {
    subject = await startTestApp({ AUTH_FAILURES_PER_SECOND_PER_IP: '0' });
    other = await startTestApp({
      AUTH_FAILURES_PER_SECOND_PER_IP: '0',
      DATABASE_URL: subject.config.database.url,
      QUEUE_PREFIX: subject.config.redis.queuePrefix,
      EVENTS_EXCHANGE: subject.config.rabbitmq.eventsExchange,
      WEBHOOK_EVENTS_QUEUE: subject.config.webhooks.eventsQueue,
    });
    merchant = await createMerchant(subject);
  });
  afterAll(async () => {
    await other.close();
    await subject.close();
  });

  it('creates merchants with a checksummed key and its id, listed with its last four characters', async () => {
    const response = await subject.inject({
      method: 'POST',
      url: '/v1/admin/merchants',
      headers: { 'x-admin-token': testAdminToken },
      payload: { name: 'Initech' },
    });
    expect(response.statusCode).toBe(201);
    const created = response.json<{ id: string; api_key: string; api_key_id: string }>();
    expect(created.api_key).toMatch(/^sk_test_[0-9A-Za-z]{49}$/);
    expect(apiKeyShapeOf(created.api_key)).toBe('checksummed');
    expect(created.api_key_id).toMatch(/^key_[0-9A-Za-z]{24}$/);

    const list = await apiKeysCall(subject, 'GET', created.id);
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({
      object: 'list',
      has_more: false,
      data: [
        {
          id: created.api_key_id,
          object: 'api_key',
          last4: created.api_key.slice(-4),
          created_at: expect.stringMatching(/Z$/) as unknown,
          revoked_at: null,
        },
      ],
    });
    expect(list.body).not.toContain(sha256Hex(created.api_key));
  });

  it('creates a key that works at once, shown once, and replays it for the same Idempotency-Key', async () => {
    const owner = await createMerchant(subject);
    const headers = { 'idempotency-key': `key-${randomBytes(6).toString('hex')}` };
    const first = await apiKeysCall(subject, 'POST', owner.id, { headers });
    expect(first.statusCode).toBe(201);
    const created = first.json<ApiKeyBody>();
    expect(created).toEqual({
      id: expect.stringMatching(/^key_/) as unknown,
      object: 'api_key',
      last4: created.api_key!.slice(-4),
      created_at: expect.any(String) as unknown,
      revoked_at: null,
      api_key: expect.stringMatching(/^sk_test_[0-9A-Za-z]{49}$/) as unknown,
    });
    expect((await balance(subject, created.api_key!)).statusCode).toBe(200);
    expect((await balance(subject, owner.apiKey)).statusCode).toBe(200);

    const replay = await apiKeysCall(subject, 'POST', owner.id, { headers });
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toEqual(created);
    const listed = (await apiKeysCall(subject, 'GET', owner.id)).json<{ data: ApiKeyBody[] }>().data;
    expect(listed.map((key) => key.id)).toEqual([created.id, expect.stringMatching(/^key_/)]);
    expect(listed.every((key) => key.api_key === undefined)).toBe(true);
  });

  it('refuses unknown body fields', async () => {
    const response = await subject.inject({
      method: 'POST',
      url: `/v1/admin/merchants/${merchant.id}/api_keys`,
      headers: { 'x-admin-token': testAdminToken },
      payload: { name: 'mine' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: { code: string; param: string } }>().error).toMatchObject({
      code: 'parameter_unknown',
      param: 'name',
    });
  });

  it('lists newest first, revoked keys included, a page at a time', async () => {
    const owner = await createMerchant(subject);
    const made: string[] = [];
    for (let count = 0; count < 4; count += 1) {
      made.push((await apiKeysCall(subject, 'POST', owner.id)).json<ApiKeyBody>().id);
    }
    expect((await apiKeysCall(subject, 'DELETE', owner.id, { keyId: made[1] })).statusCode).toBe(200);
    const all = (await apiKeysCall(subject, 'GET', owner.id)).json<{ data: ApiKeyBody[] }>().data;
    // The merchant's first key, then the four, newest first.
    expect(all.map((key) => key.id).slice(0, 4)).toEqual([...made].reverse());
    expect(all).toHaveLength(5);
    expect(all.map((key) => key.revoked_at !== null)).toEqual([false, false, true, false, false]);

    const seen: string[] = [];
    let startingAfter: string | undefined;
    let pages = 0;
    for (;;) {
      const query = `?limit=2${startingAfter ? `&starting_after=${startingAfter}` : ''}`;
      const page = (await apiKeysCall(subject, 'GET', owner.id, { query })).json<{
        data: ApiKeyBody[];
        has_more: boolean;
      }>();
      pages += 1;
      seen.push(...page.data.map((key) => key.id));
      if (!page.has_more) break;
      startingAfter = page.data.at(-1)!.id;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(all.map((key) => key.id));
  });

  it.each(['?limit=0', '?limit=101', '?limit=x', '?starting_after=nope', '?colour=red'])(
    'answers 400 for %s',
    async (query) => {
      const response = await apiKeysCall(subject, 'GET', merchant.id, { query });
      expect(response.statusCode).toBe(400);
      expect(response.json<{ error: { type: string } }>().error.type).toBe('invalid_request_error');
    },
  );

  it('answers 400 for a starting_after that is no key of this merchant', async () => {
    const stranger = await createMerchant(subject);
    const strangerKey = (await apiKeysCall(subject, 'GET', stranger.id)).json<{ data: ApiKeyBody[] }>().data[0]!;
    const response = await apiKeysCall(subject, 'GET', merchant.id, { query: `?starting_after=${strangerKey.id}` });
    expect(response.statusCode).toBe(400);
  });

  it('answers 404 resource_missing for an unknown or malformed merchant or key, and for another merchant’s key', async () => {
    const unknownMerchant = newId('mer');
    const unknownKey = newId('key');
    expect((await apiKeysCall(subject, 'GET', unknownMerchant)).json()).toEqual(
      notFound(`No such merchant: '${unknownMerchant}'`),
    );
    expect((await apiKeysCall(subject, 'POST', unknownMerchant)).statusCode).toBe(404);
    expect((await apiKeysCall(subject, 'GET', 'mer_nope')).statusCode).toBe(404);
    expect((await apiKeysCall(subject, 'DELETE', merchant.id, { keyId: unknownKey })).json()).toEqual(
      notFound(`No such API key: '${unknownKey}'`),
    );
    expect((await apiKeysCall(subject, 'DELETE', merchant.id, { keyId: 'key_nope' })).statusCode).toBe(404);
    expect((await apiKeysCall(subject, 'DELETE', unknownMerchant, { keyId: unknownKey })).statusCode).toBe(404);

    const stranger = await createMerchant(subject);
    const strangerKeyId = (await apiKeysCall(subject, 'GET', stranger.id)).json<{ data: ApiKeyBody[] }>().data[0]!.id;
    const crossed = await apiKeysCall(subject, 'DELETE', merchant.id, { keyId: strangerKeyId });
    expect(crossed.statusCode).toBe(404);
    expect((await balance(subject, stranger.apiKey)).statusCode).toBe(200);
  });

  it('requires the operator token', async () => {
    for (const method of ['GET', 'POST', 'DELETE'] as const) {
      const response = await subject.inject({
        method,
        url: `/v1/admin/merchants/${merchant.id}/api_keys${method === 'DELETE' ? `/${newId('key')}` : ''}`,
      });
      expect(response.statusCode).toBe(401);
    }
  });

  it('revokes a key: refused at once by this process, the same answer again, other keys unaffected', async () => {
    const owner = await createMerchant(subject);
    const spare = (await apiKeysCall(subject, 'POST', owner.id)).json<ApiKeyBody>();
    expect((await balance(subject, owner.apiKey)).statusCode).toBe(200);
    // Held in this process: the revocation must reach the in-process copy, not only Redis and PostgreSQL.
    expect(subject.app.get(ApiKeysService).merchantIdForApiKeyAtHand(owner.apiKey)).toBe(owner.id);
    const keyId = (await apiKeysCall(subject, 'GET', owner.id)).json<{ data: ApiKeyBody[] }>().data.at(-1)!.id;

    const revoked = await apiKeysCall(subject, 'DELETE', owner.id, { keyId });
    expect(revoked.statusCode).toBe(200);
    const body = revoked.json<ApiKeyBody>();
    expect(body).toMatchObject({ id: keyId, object: 'api_key', last4: owner.apiKey.slice(-4) });
    expect(Date.parse(body.revoked_at!)).not.toBeNaN();
    expect(body.api_key).toBeUndefined();

    const refused = await balance(subject, owner.apiKey);
    expect(refused.statusCode).toBe(401);
    expect(refused.json<{ error: { code: string } }>().error.code).toBe('api_key_invalid');
    expect((await balance(subject, spare.api_key!)).statusCode).toBe(200);

    const again = await apiKeysCall(subject, 'DELETE', owner.id, { keyId });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(body);
    expect((await balance(subject, owner.apiKey)).statusCode).toBe(401);
  });

  it('makes another process drop its copy when the revocation message arrives', async () => {
    const owner = await createMerchant(subject);
    const keyId = (await apiKeysCall(subject, 'GET', owner.id)).json<{ data: ApiKeyBody[] }>().data[0]!.id;
    const otherCache = other.app.get(HotCache);
    expect(otherCache.inProcessInvalidationsSnapshot().listening).toBe(true);
    expect((await balance(other, owner.apiKey)).statusCode).toBe(200);
    expect(other.app.get(ApiKeysService).merchantIdForApiKeyAtHand(owner.apiKey)).toBe(owner.id);
    const receivedBefore = otherCache.inProcessInvalidationsSnapshot().received;

    expect((await apiKeysCall(subject, 'DELETE', owner.id, { keyId })).statusCode).toBe(200);
    await eventually(
      () => Promise.resolve(otherCache.inProcessInvalidationsSnapshot().received),
      (received) => received > receivedBefore,
      { deadlineMs: 5_000, intervalMs: 5, what: 'the revocation message in the other process' },
    );
    expect(other.app.get(ApiKeysService).merchantIdForApiKeyAtHand(owner.apiKey)).toBeUndefined();
    expect((await balance(other, owner.apiKey)).statusCode).toBe(401);
    const metrics = (await other.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(
      `cache_in_process_invalidations_received_total ${otherCache.inProcessInvalidationsSnapshot().received}`,
    );
  });

  it('bounds the life of an in-process copy that missed the message to one second', async () => {
    expect(apiKeyInProcessTtlMs).toBeLessThanOrEqual(1_000);
    // A process that is not subscribed (never got the message): it drops its copy when the copy expires.
    const { cacheUrl, queuePrefix } = subject.config.redis;
    const store = await connectCacheStore(cacheUrl, queuePrefix, new Logger('DeafProcess'));
    const deaf = new HotCache({ stores: [store] } as unknown as Cache, new MetricsRegistry());
    try {
      const owner = await createMerchant(subject);
      const keyHash = sha256Hex(owner.apiKey);
      const keyId = (await apiKeysCall(subject, 'GET', owner.id)).json<{ data: ApiKeyBody[] }>().data[0]!.id;
      await deaf.getOrLoad(apiKeyCache, '-', keyHash, () => Promise.resolve(owner.id));
      expect(deaf.peekInProcess(apiKeyCache, apiKeyCacheScope, keyHash)).toBe(owner.id);
      const loadedAtMs = performance.now();
      expect((await apiKeysCall(subject, 'DELETE', owner.id, { keyId })).statusCode).toBe(200);
      await eventually(
        () => Promise.resolve(deaf.peekInProcess(apiKeyCache, apiKeyCacheScope, keyHash)),
        (merchantId) => merchantId === undefined,
        { deadlineMs: apiKeyInProcessTtlMs + 2_000, intervalMs: 20, what: 'the unsubscribed copy to expire' },
      );
      expect(performance.now() - loadedAtMs).toBeGreaterThanOrEqual(apiKeyInProcessTtlMs - 100);
      expect(deaf.inProcessInvalidationsSnapshot()).toEqual({ received: 0, listening: false });
      // Its next read goes to Redis, where the revocation deleted the entry: the loader (PostgreSQL) decides.
      expect(await deaf.getOrLoad(apiKeyCache, '-', keyHash, () => Promise.resolve(null))).toBeNull();
    } finally {
      await store.disconnect();
    }
  });

  it('refuses a mistyped or invented key without a lookup (no PostgreSQL query, no cache read)', async () => {
    const queries = countApiKeyQueries(subject);
    const cacheBefore = subject.app.get(HotCache).snapshot(apiKeyCache);
    try {
      const invented = `sk_test_${'A'.repeat(49)}`;
      for (const key of [mistyped(merchant.apiKey), invented, 'sk_test_unknown', `sk_live_${'a'.repeat(49)}`]) {
        const response = await balance(subject, key);
        expect(response.statusCode).toBe(401);
        expect(response.json<{ error: { code: string } }>().error.code).toBe('api_key_invalid');
      }
      expect(queries.count()).toBe(0);
      expect(subject.app.get(HotCache).snapshot(apiKeyCache)).toEqual(cacheBefore);
      // The counting can see a lookup: a key of the legacy shape costs one.
      expect((await balance(subject, legacyShapedKey())).statusCode).toBe(401);
      expect(queries.count()).toBe(1);
    } finally {
      queries.restore();
    }
  });

  it('still accepts a key made before checksums (legacy shape), through a lookup; its last4 is null', async () => {
    const owner = await createMerchant(subject);
    const legacy = legacyShapedKey();
    const keyId = newId('key');
    await subject.app
      .get(Database)
      .db.execute(
        sql`INSERT INTO api_keys (id, merchant_id, key_hash) VALUES (${keyId}, ${owner.id}, ${sha256Hex(legacy)})`,
      );
    expect((await balance(subject, legacy)).statusCode).toBe(200);
    expect((await balance(other, legacy)).statusCode).toBe(200);
    const listed = (await apiKeysCall(subject, 'GET', owner.id)).json<{ data: ApiKeyBody[] }>().data;
    expect(listed.find((key) => key.id === keyId)).toMatchObject({ last4: null, revoked_at: null });
    expect((await apiKeysCall(subject, 'DELETE', owner.id, { keyId })).statusCode).toBe(200);
    expect((await balance(subject, legacy)).statusCode).toBe(401);
  });
});

describe('a malformed key with PostgreSQL and the cache Redis unreachable', () => {
  let proxy: TcpProxy;
  let subject: TestApp;
  const databaseName = uniqueDatabaseName();

  beforeAll(async () => {
    proxy = await TcpProxy.start('127.0.0.1', 5432);
    subject = await startTestApp({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/${databaseName}`,
      CACHE_REDIS_URL: 'redis://127.0.0.1:1',
      AUTH_FAILURES_PER_SECOND_PER_IP: '5',
    });
  });
  afterAll(async () => {
    // PostgreSQL back first: the app's shutdown waits for the connections it has in use.
    await proxy.restore();
    await subject.close();
    await proxy.close();
    await dropDatabase(databaseName);
  });

  it('is refused with a fast 401 where a lookup answers 503', async () => {
    await proxy.cut();
    const started = performance.now();
    const response = await balance(subject, `sk_test_${'A'.repeat(49)}`);
    expect(response.statusCode).toBe(401);
    expect(response.json<{ error: { code: string } }>().error.code).toBe('api_key_invalid');
    expect(performance.now() - started).toBeLessThan(1_000);
    // The limiter's Redis is unreachable too: it let the failure through, and counted that.
    expect(subject.app.get(AuthFailureLimiter).snapshot().failed_open).toBeGreaterThan(0);
    expect((await balance(subject, legacyShapedKey())).statusCode).toBe(503);
  });
});

const failuresPerSecond = 5;

function wrongKeyBurst(subject: TestApp, count: number, headers: (index: number) => Record<string, string>) {
  return Promise.all(Array.from({ length: count }, (_, index) => balance(subject, legacyShapedKey(), headers(index))));
}

describe(`failed authentications per client address (AUTH_FAILURES_PER_SECOND_PER_IP=${failuresPerSecond})`, () => {
  let subject: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    // Requests injected in tests come from 127.0.0.1: trusted as a proxy here, so X-Forwarded-For names the client.
    subject = await startTestApp({
      AUTH_FAILURES_PER_SECOND_PER_IP: String(failuresPerSecond),
      TRUST_PROXY: '127.0.0.1',
    });
    redis = new Redis(subject.config.redis.cacheUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
  });
  afterAll(async () => {
    redis.disconnect();
    await subject.close();
  });

  it('answers 429 rate_limited with Retry-After past the limit, only to that address', async () => {
    const merchant = await createMerchant(subject);
    const started = performance.now();
    const responses = await wrongKeyBurst(subject, 20, () => ({ 'x-forwarded-for': '203.0.113.7' }));
    const elapsedMs = performance.now() - started;
    const unauthorized = responses.filter((response) => response.statusCode === 401).length;
    const limited = responses.filter((response) => response.statusCode === 429);
    expect(unauthorized + limited.length).toBe(20);
    expect(unauthorized).toBeGreaterThanOrEqual(failuresPerSecond);
    expect(unauthorized).toBeLessThanOrEqual(failuresPerSecond + Math.ceil((elapsedMs / 1000) * failuresPerSecond));
    for (const response of limited) {
      expect(response.json()).toEqual({
        error: {
          type: 'rate_limit_error',
          code: 'rate_limited',
          message: `Too many failed authentications from this address: at most ${failuresPerSecond} per second.`,
        },
      });
      expect(response.headers['retry-after']).toBe('1');
    }
    // Another address, through the same trusted proxy: neither its wrong keys nor its right one are held back.
    expect((await balance(subject, legacyShapedKey(), { 'x-forwarded-for': '203.0.113.8' })).statusCode).toBe(401);
    expect((await balance(subject, merchant.apiKey, { 'x-forwarded-for': '203.0.113.8' })).statusCode).toBe(200);
  });

  it('refuses an address over the limit before its key is checked, even a right key, without a lookup', async () => {
    const merchant = await createMerchant(subject);
    const address = '198.51.100.9';
    // The state an address is in once it went over, made to last so the test does not race its expiry.
    const [, over] = authFailureKeys(subject.config.redis.queuePrefix, address);
    await redis.set(over, '1', 'PX', 30_000);
    const queries = countApiKeyQueries(subject);
    try {
      const right = await balance(subject, merchant.apiKey, { 'x-forwarded-for': address });
      expect(right.statusCode).toBe(429);
      expect(right.headers['retry-after']).toBe('30');
      expect((await balance(subject, legacyShapedKey(), { 'x-forwarded-for': address })).statusCode).toBe(429);
      expect(queries.count()).toBe(0);
      expect((await balance(subject, merchant.apiKey, { 'x-forwarded-for': '198.51.100.10' })).statusCode).toBe(200);
    } finally {
      queries.restore();
    }
  });

  it('lets a client that used its allowance without going over in with a right key', async () => {
    const merchant = await createMerchant(subject);
    const headers = { 'x-forwarded-for': '192.0.2.44' };
    const responses = await wrongKeyBurst(subject, failuresPerSecond, () => headers);
    expect(responses.map((response) => response.statusCode)).toEqual(Array(failuresPerSecond).fill(401));
    expect((await balance(subject, merchant.apiKey, headers)).statusCode).toBe(200);
  });

  it('counts wrong operator tokens the same way', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        subject.inject({
          method: 'POST',
          url: '/v1/admin/merchants',
          headers: { 'x-admin-token': 'wrong', 'x-forwarded-for': '203.0.113.20' },
          payload: { name: 'Nope' },
        }),
      ),
    );
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 401).length).toBeGreaterThanOrEqual(failuresPerSecond);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    const fine = await subject.inject({
      method: 'POST',
      url: '/v1/admin/merchants',
      headers: { 'x-admin-token': testAdminToken, 'x-forwarded-for': '203.0.113.21' },
      payload: { name: 'Fine' },
    });
    expect(fine.statusCode).toBe(201);
  });

  it('counts its checks in /metrics', async () => {
    const { allowed, limited } = subject.app.get(AuthFailureLimiter).snapshot();
    const metrics = (await subject.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(`auth_failure_limit_checks_total{outcome="allowed"} ${allowed}`);
    expect(metrics).toContain(`auth_failure_limit_checks_total{outcome="limited"} ${limited}`);
    expect(limited).toBeGreaterThan(0);
  });
});

describe('failed authentications without TRUST_PROXY', () => {
  let subject: TestApp;
  let merchant: Merchant;

  beforeAll(async () => {
    subject = await startTestApp({ AUTH_FAILURES_PER_SECOND_PER_IP: String(failuresPerSecond) });
    merchant = await createMerchant(subject);
  });
  afterAll(async () => {
    await subject.close();
  });

  it('counts by the socket address: a different X-Forwarded-For on each attempt changes nothing', async () => {
    const responses = await wrongKeyBurst(subject, 20, (index) => ({ 'x-forwarded-for': `203.0.113.${index + 1}` }));
    expect(responses.filter((response) => response.statusCode === 429).length).toBeGreaterThan(0);
  });

  it('lets a right key in from another socket address meanwhile', async () => {
    const response = await subject.inject({
      method: 'GET',
      url: '/v1/balance',
      headers: { authorization: `Bearer ${merchant.apiKey}` },
      remoteAddress: '10.1.2.3',
    });
    expect(response.statusCode).toBe(200);
  });
});
