import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { GracefulWorkerHost } from '../queueing/graceful-worker-host';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { LedgerVerifier } from '../ledger/ledger-verifier.service';
import { MAINTENANCE_QUEUE, SWEEP_IDEMPOTENCY_KEYS_JOB, VERIFY_LEDGER_JOB } from './maintenance.constants';

/** Scheduled housekeeping; each job is idempotent, so a missed or doubled run is harmless. */
@Processor(MAINTENANCE_QUEUE)
export class MaintenanceProcessor extends GracefulWorkerHost {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly verifier: LedgerVerifier,
  ) {
    super();
  }

  async process(job: Job): Promise<Record<string, number>> {
    switch (job.name) {
      case SWEEP_IDEMPOTENCY_KEYS_JOB: {
        let deleted = 0;
        for (
          let batch = await this.idempotency.sweepExpired();
          batch > 0;
          batch = await this.idempotency.sweepExpired()
        ) {
          deleted += batch;
        }
        return { deleted };
      }
      case VERIFY_LEDGER_JOB: {
        const verification = await this.verifier.verify();
        if (!verification.balanced) {
          this.workerLogger.error({ mismatches: verification.mismatches }, 'ledger verification found mismatches');
        }
        return { balanced: verification.balanced ? 1 : 0, mismatches: verification.mismatches.length };
      }
      default:
        throw new Error(`unknown maintenance job ${job.name}`);
    }
  }
}
