import { Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { MetricsRegistry } from '../metrics/metrics-registry';

const statuses = ['matched', 'discrepancies'] as const;

/** `reconciliation_runs_total{status}`: the runs this process made (scheduled and the operator's), by result. */
@Injectable()
export class ReconciliationRuns {
  private readonly runs: Counter<'status'>;

  constructor(registry: MetricsRegistry) {
    this.runs = new Counter({
      name: 'reconciliation_runs_total',
      help: 'Reconciliations of a day run by this process, by status (matched, discrepancies)',
      labelNames: ['status'],
      registers: [registry],
    });
    // Both series exist from the start, so a rate over them is defined before the first run.
    for (const status of statuses) this.runs.inc({ status }, 0);
  }

  counted(status: (typeof statuses)[number]): void {
    this.runs.inc({ status });
  }
}
