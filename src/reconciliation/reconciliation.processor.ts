import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { GracefulWorkerHost } from '../queueing/graceful-worker-host';
import { dayEndedBefore } from './reconciliation-day';
import { RECONCILE_DAY_JOB, RECONCILIATION_QUEUE } from './reconciliation.constants';
import { ReconciliationService } from './reconciliation.service';

/** The daily run: reconciles the UTC day that ended before the run was due, replacing any earlier result of it. */
@Processor(RECONCILIATION_QUEUE)
export class ReconciliationProcessor extends GracefulWorkerHost {
  constructor(private readonly reconciliations: ReconciliationService) {
    super();
  }

  async process(job: Job): Promise<Record<string, string | number>> {
    if (job.name !== RECONCILE_DAY_JOB) throw new Error(`unknown reconciliation job ${job.name}`);
    // A scheduler's job is added `delay` ms before it is due: its day is the one before its due time, however late a
    // worker picks it up (or retries it).
    const day = dayEndedBefore(new Date(job.timestamp + job.delay));
    const reconciliation = await this.reconciliations.run(day);
    if (reconciliation.status === 'discrepancies') {
      this.workerLogger.warn(
        {
          day,
          missingInLedger: reconciliation.missing_in_ledger_count,
          missingInReport: reconciliation.missing_in_report_count,
          amountMismatches: reconciliation.amount_mismatches_count,
        },
        'reconciliation found discrepancies',
      );
    }
    return {
      day,
      status: reconciliation.status,
      matched: reconciliation.matched,
      missingInLedger: reconciliation.missing_in_ledger_count,
      missingInReport: reconciliation.missing_in_report_count,
      amountMismatches: reconciliation.amount_mismatches_count,
    };
  }
}
