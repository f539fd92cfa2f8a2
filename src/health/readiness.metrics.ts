import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import { Gauge } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { DependencyIndicators } from './dependency.indicators';

// One check serves every scrape within this window (and a scrape that comes while one runs waits for it): a
// test or a second Prometheus polling /metrics does not open a RabbitMQ connection per request. Shorter than
// any sensible scrape interval, so each scrape of a 15 s interval still sees a check of its own.
const readinessCheckReuseMs = 5_000;

/** Each dependency of a readiness check result (terminus's `{ name: { status } }`): 1 when up, 0 otherwise. */
export function dependenciesUp(results: readonly HealthIndicatorResult[]): Map<string, 0 | 1> {
  const up = new Map<string, 0 | 1>();
  for (const result of results) {
    for (const [dependency, { status }] of Object.entries(result)) up.set(dependency, status === 'up' ? 1 : 0);
  }
  return up;
}

/**
 * `readiness_dependency_up{dependency}` on /metrics: the checks behind /health/ready (PostgreSQL and its replica
 * when set, the queue Redis, RabbitMQ), run at scrape time, each bounded by HEALTH_CHECK_TIMEOUT_MS. Prometheus sees what a readiness probe
 * would see when it scrapes, whether or not anything probes /health/ready.
 */
@Injectable()
export class ReadinessMetrics {
  private last: { startedAtMs: number; up: Promise<Map<string, 0 | 1>> } | undefined;

  constructor(
    private readonly dependencies: DependencyIndicators,
    registry: MetricsRegistry,
  ) {
    const read = () => this.read();
    new Gauge({
      name: 'readiness_dependency_up',
      help: '1 when the readiness check (/health/ready) of the dependency passes, 0 when it fails; checked at scrape time',
      labelNames: ['dependency'],
      registers: [registry],
      async collect() {
        const up = await read();
        this.reset();
        for (const [dependency, value] of up) this.set({ dependency }, value);
      },
    });
  }

  private read(): Promise<Map<string, 0 | 1>> {
    const nowMs = Date.now();
    if (!this.last || nowMs - this.last.startedAtMs >= readinessCheckReuseMs) {
      const checks = this.dependencies.checks().map((check) => check());
      this.last = { startedAtMs: nowMs, up: Promise.all(checks).then(dependenciesUp) };
    }
    return this.last.up;
  }
}
