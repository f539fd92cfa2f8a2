import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { dayRange } from './reconciliation-day';
import { ReconciliationService } from './reconciliation.service';

/**
 * The last reconciliation on /metrics, read from PostgreSQL when Prometheus scrapes (like the ledger's proof): its
 * counts per kind, and the newest day reconciled. No sample while none ran or PostgreSQL does not answer.
 */
@Injectable()
export class ReconciliationMetrics {
  constructor(reconciliations: ReconciliationService, registry: MetricsRegistry) {
    const latest = () => reconciliations.latest().catch(() => null);
    new Gauge({
      name: 'reconciliation_items',
      help:
        'Counts of the last reconciliation run, by kind: matched lines, missing_in_ledger, missing_in_report, ' +
        'amount_mismatches',
      labelNames: ['kind'],
      registers: [registry],
      async collect() {
        this.reset();
        const found = await latest();
        if (!found) return;
        const { lastRun } = found;
        this.set({ kind: 'matched' }, lastRun.matched);
        this.set({ kind: 'missing_in_ledger' }, lastRun.missing_in_ledger_count);
        this.set({ kind: 'missing_in_report' }, lastRun.missing_in_report_count);
        this.set({ kind: 'amount_mismatches' }, lastRun.amount_mismatches_count);
      },
    });
    new Gauge({
      name: 'reconciliation_newest_day_seconds',
      help: 'Start of the newest UTC day reconciled, in Unix seconds',
      registers: [registry],
      async collect() {
        this.reset();
        const found = await latest();
        const range = found ? dayRange(found.newestDay) : null;
        if (range) this.set(range.start.getTime() / 1000);
      },
    });
  }
}
