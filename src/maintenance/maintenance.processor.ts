import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { GracefulWorkerHost } from '../queueing/graceful-worker-host';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { MAINTENANCE_QUEUE, SWEEP_IDEMPOTENCY_KEYS_JOB } from './maintenance.constants';

/** Scheduled housekeeping; each job is idempotent, so a missed or doubled run is harmless. */
@Processor(MAINTENANCE_QUEUE)
export class MaintenanceProcessor extends GracefulWorkerHost {
  constructor(private readonly idempotency: IdempotencyService) {
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
      default:
        throw new Error(`unknown maintenance job ${job.name}`);
    }
  }
}
