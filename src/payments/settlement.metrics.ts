import { Injectable } from '@nestjs/common';
import { Histogram } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics-registry';
import type { PaymentStatus } from './payment-status';

/** Where a settlement (PaymentsService.completeAuthorization) leaves a payment: its outcome label. */
export const settlementOutcomes = ['succeeded', 'failed', 'requires_capture'] as const satisfies PaymentStatus[];

// From a settlement at the first try (tens of ms) to one that waited out the job's retries and backoff or the
// stranded-payments sweep (minutes): the alert's bound (60 s) and the dashboard's p99 fall inside.
const settlementSecondsBuckets = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];

/** Seconds from a payment's creation to its settlement; never negative, should the two clocks disagree. */
export function settlementSeconds(createdAtMs: number, settledAtMs: number): number {
  return Math.max(0, settledAtMs - createdAtMs) / 1000;
}

/**
 * `payment_settlement_seconds` on /metrics: from a payment's creation to the commit of its authorization outcome
 * (succeeded, failed, or requires_capture awaiting the merchant's capture), one observation per payment, by outcome.
 * A capture or cancel later is the merchant's doing, not the system's latency, and is not observed.
 */
@Injectable()
export class SettlementMetrics {
  private readonly seconds: Histogram<'outcome'>;

  constructor(registry: MetricsRegistry) {
    this.seconds = new Histogram({
      name: 'payment_settlement_seconds',
      help: 'Time from payment creation to the commit of its authorization outcome (succeeded, failed, requires_capture)',
      labelNames: ['outcome'],
      buckets: settlementSecondsBuckets,
      registers: [registry],
    });
    // Every outcome's series from the start, so a rate over it is 0 rather than absent.
    for (const outcome of settlementOutcomes) this.seconds.zero({ outcome });
  }

  /** The payments a settlement batch moved, once it has committed. */
  observeSettled(settled: readonly { status: PaymentStatus; createdAt: Date }[], settledAtMs = Date.now()): void {
    for (const payment of settled) {
      this.seconds.observe({ outcome: payment.status }, settlementSeconds(payment.createdAt.getTime(), settledAtMs));
    }
  }
}
