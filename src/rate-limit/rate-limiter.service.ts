import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Counter } from 'prom-client';
import { type CacheRedis, createCacheRedis } from '../caching/cache-redis';
import { connectWithin } from '../caching/cache-store';
import { withDeadline } from '../common/deadline';
import { apiErrors } from '../common/errors/api-error';
import { errorMessage } from '../common/errors/error-message';
import { AppConfig } from '../config/app-config';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { gcraScript, retryAfterSeconds } from './gcra';
import { type GcraDecision, gcraDecision, RedisScript } from './gcra-redis';

const script = new RedisScript(gcraScript);
import { rateLimitCheckTimeoutMs, rateLimitFailureLogIntervalMs } from './rate-limit.limits';

const outcomes = ['allowed', 'limited', 'failed_open'] as const;
type Outcome = (typeof outcomes)[number];

/**
 * API.md's rate limit: `RATE_LIMIT_PER_SECOND` requests per second per merchant (0: off), shared by every process
 * of the deployment through the cache Redis (GCRA, see gcra.ts); over it, 429 `rate_limited` with Retry-After.
 * The counters live in the cache Redis: they are as disposable as cache entries, and the queue Redis (append-only
 * file, no eviction) would have to persist one write per request. When that Redis is down or slow the request is
 * let through (fail open, counted and logged): the limiter protects the API, it must not take it down.
 */
@Injectable()
export class RateLimiter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RateLimiter.name);
  private readonly limitPerSecond: number;
  private readonly keyPrefix: string;
  private readonly client: CacheRedis | undefined;
  private readonly counts: Record<Outcome, number> = { allowed: 0, limited: 0, failed_open: 0 };
  private failureLoggedAtMs = Number.NEGATIVE_INFINITY;

  constructor(config: AppConfig, registry: MetricsRegistry) {
    this.limitPerSecond = config.rateLimitPerSecond;
    this.keyPrefix = `${config.redis.queuePrefix}:rate-limit:`;
    this.client =
      this.limitPerSecond > 0
        ? createCacheRedis(config.redis.cache, `${config.redis.queuePrefix}:rate-limit`)
        : undefined;
    const counts = this.counts;
    new Counter({
      name: 'rate_limit_checks_total',
      help: 'Rate limit checks of merchant requests: allowed, limited (429), or let through because Redis failed',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        this.reset();
        for (const outcome of outcomes) this.inc({ outcome }, counts[outcome]);
      },
    });
  }

  /** Whether requests are limited at all (RATE_LIMIT_PER_SECOND > 0). */
  get enabled(): boolean {
    return this.client !== undefined;
  }

  /** Connects, waiting a little for Redis but not for long: the limiter fails open until it answers. */
  async onModuleInit(): Promise<void> {
    if (!this.client) return;
    await connectWithin(this.client, this.logger, { what: 'rate limiter Redis', meanwhile: 'not limiting' });
  }

  onApplicationShutdown(): void {
    this.client?.destroy();
  }

  /**
   * Counts a request of `merchantId`, or throws the 429 when the merchant is over its limit. Never throws because
   * of Redis: a failed or slow check lets the request through.
   */
  async admit(merchantId: string): Promise<void> {
    if (!this.client) return;
    let decision: GcraDecision;
    try {
      const key = `${this.keyPrefix}${merchantId}`;
      const checking = gcraDecision(this.client.client, script, [key], [String(this.limitPerSecond)]);
      decision = await withDeadline(checking, rateLimitCheckTimeoutMs, 'rate limit check');
    } catch (error) {
      this.counts.failed_open += 1;
      this.warnThrottled(error);
      return;
    }
    if (decision.allowed) {
      this.counts.allowed += 1;
      return;
    }
    this.counts.limited += 1;
    throw apiErrors.rateLimited(this.limitPerSecond, retryAfterSeconds(decision.waitMs));
  }

  /** Counts since start, per outcome (the same numbers as rate_limit_checks_total). */
  snapshot(): Record<Outcome, number> {
    return { ...this.counts };
  }

  private warnThrottled(error: unknown): void {
    const nowMs = Date.now();
    if (nowMs - this.failureLoggedAtMs < rateLimitFailureLogIntervalMs) return;
    this.failureLoggedAtMs = nowMs;
    this.logger.warn(`rate limit check failed, request let through: ${errorMessage(error)}`);
  }
}
