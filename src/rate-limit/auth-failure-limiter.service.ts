import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Counter } from 'prom-client';
import { type CacheRedis, createCacheRedis } from '../caching/cache-redis';
import { connectWithin } from '../caching/cache-store';
import { withDeadline } from '../common/deadline';
import { ApiError } from '../common/errors/api-error';
import { errorMessage } from '../common/errors/error-message';
import { AppConfig } from '../config/app-config';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { gcraOverLimitScript, retryAfterSeconds } from './gcra';
import { type GcraDecision, gcraDecision, RedisScript } from './gcra-redis';
import {
  authFailureRefusedAddressesMax,
  rateLimitCheckTimeoutMs,
  rateLimitFailureLogIntervalMs,
} from './rate-limit.limits';

const script = new RedisScript(gcraOverLimitScript);

/**
 * The two keys of an address's failed-authentication state, the GCRA's TAT and the over-the-limit marker, which
 * its script touches together: the address in braces is their Redis Cluster hash tag, so both share a slot.
 */
export function authFailureKeys(queuePrefix: string, address: string): [tat: string, over: string] {
  return [`${queuePrefix}:auth-failures:tat:{${address}}`, `${queuePrefix}:auth-failures:over:{${address}}`];
}

const outcomes = ['allowed', 'limited', 'failed_open'] as const;
type Outcome = (typeof outcomes)[number];

function tooManyFailures(limitPerSecond: number, waitMs: number): ApiError {
  return new ApiError(
    429,
    'rate_limit_error',
    'rate_limited',
    `Too many failed authentications from this address: at most ${limitPerSecond} per second.`,
    undefined,
    { 'Retry-After': String(retryAfterSeconds(waitMs)) },
  );
}

/**
 * Failed authentications per client address (`request.ip`: the socket's address, or what trusted proxies say, see
 * TRUST_PROXY): at most `AUTH_FAILURES_PER_SECOND_PER_IP` per second (0: off), shared by every process through the
 * cache Redis (GCRA, see gcraOverLimitScript, under its own keys). An address that went over it (a failure past its
 * allowance) is refused with 429 until its wait ends, before its credential is checked: it learns nothing from
 * further guesses and they cost no lookup; its other attempts, right or wrong, wait like the rest. An address that
 * used its allowance without going over is still let in with a right credential. Like the merchant rate limit it
 * fails open: when that Redis is down or slow, requests are let through (counted and logged), never refused
 * because of it.
 */
@Injectable()
export class AuthFailureLimiter implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(AuthFailureLimiter.name);
  private readonly limitPerSecond: number;
  private readonly queuePrefix: string;
  private readonly client: CacheRedis | undefined;
  /** Addresses Redis refused, with the time (Date.now) until which they stay refused. */
  private readonly refusedUntilMs = new LRUCache<string, number>({ max: authFailureRefusedAddressesMax });
  private readonly counts: Record<Outcome, number> = { allowed: 0, limited: 0, failed_open: 0 };
  private failureLoggedAtMs = Number.NEGATIVE_INFINITY;

  constructor(config: AppConfig, registry: MetricsRegistry) {
    this.limitPerSecond = config.authFailuresPerSecondPerIp;
    this.queuePrefix = config.redis.queuePrefix;
    this.client =
      this.limitPerSecond > 0
        ? createCacheRedis(config.redis.cache, `${config.redis.queuePrefix}:auth-failures`)
        : undefined;
    const counts = this.counts;
    new Counter({
      name: 'auth_failure_limit_checks_total',
      help:
        'Checks of the failed-authentication limit per client address: allowed, limited (429), or let through ' +
        'because Redis failed',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        this.reset();
        for (const outcome of outcomes) this.inc({ outcome }, counts[outcome]);
      },
    });
  }

  /** Whether failed authentications are limited at all (AUTH_FAILURES_PER_SECOND_PER_IP > 0). */
  get enabled(): boolean {
    return this.client !== undefined;
  }

  async onModuleInit(): Promise<void> {
    if (!this.client) return;
    await connectWithin(this.client, this.logger, { what: 'auth failure limiter Redis', meanwhile: 'not limiting' });
  }

  onApplicationShutdown(): void {
    this.client?.destroy();
  }

  /** Throws the 429 when this process already knows `address` is over its limit: no I/O, for every request. */
  refuseIfKnownOver(address: string): void {
    const untilMs = this.refusedUntilMs.get(address);
    if (untilMs === undefined) return;
    const waitMs = untilMs - Date.now();
    if (waitMs <= 0) {
      this.refusedUntilMs.delete(address);
      return;
    }
    this.counts.limited += 1;
    throw tooManyFailures(this.limitPerSecond, waitMs);
  }

  /** Before a credential is checked at some cost: throws the 429 when `address` may not fail once more now. */
  async refuseIfOver(address: string): Promise<void> {
    this.refuseIfKnownOver(address);
    await this.decide(address, false);
  }

  /** After a failed authentication from `address`: counts it, and throws the 429 instead when it was one too many. */
  async countFailure(address: string): Promise<void> {
    this.refuseIfKnownOver(address);
    await this.decide(address, true);
  }

  /** Counts since start, per outcome (the same numbers as auth_failure_limit_checks_total). */
  snapshot(): Record<Outcome, number> {
    return { ...this.counts };
  }

  private async decide(address: string, count: boolean): Promise<void> {
    if (!this.client) return;
    let decision: GcraDecision;
    try {
      const keys = authFailureKeys(this.queuePrefix, address);
      const deciding = gcraDecision(this.client.client, script, keys, [String(this.limitPerSecond), count ? '1' : '0']);
      decision = await withDeadline(deciding, rateLimitCheckTimeoutMs, 'auth failure limit check');
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
    this.refusedUntilMs.set(address, Date.now() + decision.waitMs);
    throw tooManyFailures(this.limitPerSecond, decision.waitMs);
  }

  private warnThrottled(error: unknown): void {
    const nowMs = Date.now();
    if (nowMs - this.failureLoggedAtMs < rateLimitFailureLogIntervalMs) return;
    this.failureLoggedAtMs = nowMs;
    this.logger.warn(`auth failure limit check failed, request let through: ${errorMessage(error)}`);
  }
}
