import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { RateLimiter } from '../src/rate-limit/rate-limiter.service';
import { createMerchant, eventually, type Merchant } from './support/api';
import { OwnRedis } from './support/own-redis';
import { startTestApp, type TestApp } from './support/test-app';

const limitPerSecond = 5;

function balance(subject: TestApp, merchant: Pick<Merchant, 'headers'>) {
  return subject.inject({ method: 'GET', url: '/v1/balance', headers: merchant.headers });
}

/** `count` requests of `merchant` sent at once; with the time they took, to bound what the limit may allow. */
async function burst(subject: TestApp, merchant: Merchant, count: number) {
  const started = performance.now();
  const responses = await Promise.all(Array.from({ length: count }, () => balance(subject, merchant)));
  const elapsedMs = performance.now() - started;
  const allowed = responses.filter((response) => response.statusCode === 200).length;
  const limited = responses.filter((response) => response.statusCode === 429);
  // GCRA: `limit` at once, then one more every 1/limit s; never more than that over the burst's duration.
  const allowedMax = limitPerSecond + Math.ceil((elapsedMs / 1000) * limitPerSecond);
  return { responses, allowed, limited, allowedMax };
}

describe(`the per-merchant rate limit (RATE_LIMIT_PER_SECOND=${limitPerSecond})`, () => {
  let subject: TestApp;

  beforeAll(async () => {
    subject = await startTestApp({ RATE_LIMIT_PER_SECOND: String(limitPerSecond) });
  });
  afterAll(async () => {
    await subject.close();
  });

  it('lets a burst of the limit through and refuses the rest with 429 rate_limited and Retry-After', async () => {
    const merchant = await createMerchant(subject);
    const { responses, allowed, limited, allowedMax } = await burst(subject, merchant, 20);
    expect(allowed).toBeGreaterThanOrEqual(limitPerSecond);
    expect(allowed).toBeLessThanOrEqual(allowedMax);
    expect(allowed + limited.length).toBe(responses.length);
    for (const response of limited) {
      expect(response.json()).toEqual({
        error: {
          type: 'rate_limit_error',
          code: 'rate_limited',
          message: `Too many requests: this API key may make ${limitPerSecond} requests per second.`,
        },
      });
      expect(response.headers['retry-after']).toBe('1');
    }
  });

  it('limits each merchant on its own', async () => {
    const [busy, quiet] = [await createMerchant(subject), await createMerchant(subject)];
    const { limited } = await burst(subject, busy, 20);
    expect(limited.length).toBeGreaterThan(0);
    const response = await balance(subject, quiet);
    expect(response.statusCode).toBe(200);
  });

  it('lets the merchant through again once it waited', async () => {
    const merchant = await createMerchant(subject);
    const { limited } = await burst(subject, merchant, 20);
    expect(limited.length).toBeGreaterThan(0);
    const retryAfterMs = Number(limited[0]!.headers['retry-after']) * 1000;
    // A refused request is not counted, so asking again until it passes does not push the wait further out.
    const passed = await eventually(
      () => balance(subject, merchant),
      (response) => response.statusCode === 200,
      { deadlineMs: retryAfterMs + 5_000, intervalMs: 50, what: 'a request allowed again' },
    );
    expect(passed.statusCode).toBe(200);
  });

  it('answers a request without a valid key with 401, without counting it', async () => {
    const before = subject.app.get(RateLimiter).snapshot();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => balance(subject, { headers: { authorization: 'Bearer sk_test_unknown' } })),
    );
    expect(responses.map((response) => response.statusCode)).toEqual(Array(20).fill(401));
    expect(subject.app.get(RateLimiter).snapshot()).toEqual(before);
  });

  it('keeps one small key per merchant in the cache Redis, expiring on its own', async () => {
    const merchant = await createMerchant(subject);
    expect((await balance(subject, merchant)).statusCode).toBe(200);
    const redis = new Redis(subject.config.redis.cacheUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      const ttl = await redis.pttl(`${subject.config.redis.queuePrefix}:rate-limit:${merchant.id}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(1000 / limitPerSecond + 1);
    } finally {
      redis.disconnect();
    }
  });

  it('counts allowed and limited checks in /metrics', async () => {
    const merchant = await createMerchant(subject);
    await burst(subject, merchant, 20);
    const { allowed, limited } = subject.app.get(RateLimiter).snapshot();
    const metrics = (await subject.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain(`rate_limit_checks_total{outcome="allowed"} ${allowed}`);
    expect(metrics).toContain(`rate_limit_checks_total{outcome="limited"} ${limited}`);
    expect(limited).toBeGreaterThan(0);
  });
});

describe('the rate limit turned off (RATE_LIMIT_PER_SECOND=0)', () => {
  let subject: TestApp;

  beforeAll(async () => {
    subject = await startTestApp({ RATE_LIMIT_PER_SECOND: '0' });
  });
  afterAll(async () => {
    await subject.close();
  });

  it('answers every request of a burst and keeps no counter', async () => {
    const merchant = await createMerchant(subject);
    const responses = await Promise.all(Array.from({ length: 50 }, () => balance(subject, merchant)));
    expect(responses.map((response) => response.statusCode)).toEqual(Array(50).fill(200));
    expect(subject.app.get(RateLimiter).enabled).toBe(false);
    expect(subject.app.get(RateLimiter).snapshot()).toEqual({ allowed: 0, limited: 0, failed_open: 0 });
  });
});

describe('the rate limit with its Redis unreachable', () => {
  let subject: TestApp;

  beforeAll(async () => {
    // Nothing listens on port 1: every check fails at once, while PostgreSQL and the queue Redis answer.
    subject = await startTestApp({ RATE_LIMIT_PER_SECOND: '1', CACHE_REDIS_URL: 'redis://127.0.0.1:1' });
  });
  afterAll(async () => {
    await subject.close();
  });

  it('lets requests through rather than failing them, and counts it', async () => {
    const merchant = await createMerchant(subject);
    for (let request = 0; request < 5; request += 1) {
      expect((await balance(subject, merchant)).statusCode).toBe(200);
    }
    expect(subject.app.get(RateLimiter).snapshot().failed_open).toBe(5);
  });
});

describe('the rate limit on a Redis that has never seen its script', () => {
  let redis: OwnRedis;
  let subject: TestApp;

  beforeAll(async () => {
    redis = await OwnRedis.start();
    subject = await startTestApp({ RATE_LIMIT_PER_SECOND: String(limitPerSecond), CACHE_REDIS_URL: redis.url });
  });
  afterAll(async () => {
    await subject.close();
    await redis.stop();
  });

  it('loads the script on first use and again after a restart of Redis (which forgets scripts)', async () => {
    const limiter = subject.app.get(RateLimiter);
    const merchant = await createMerchant(subject);
    const { limited } = await burst(subject, merchant, 20);
    expect(limited.length).toBeGreaterThan(0);
    expect(limiter.snapshot().failed_open).toBe(0);

    await redis.stop();
    await redis.start();
    const other = await createMerchant(subject);
    const checkedBefore = limiter.snapshot().allowed;
    // While the client reconnects, requests are let through (failed open); then they are checked again.
    await eventually(
      async () => {
        expect((await balance(subject, other)).statusCode).toBe(200);
        return limiter.snapshot().allowed;
      },
      (allowed) => allowed > checkedBefore,
      { deadlineMs: 15_000, intervalMs: 250, what: 'a request checked on the restarted Redis' },
    );
  });
});
