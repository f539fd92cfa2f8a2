import { Processor } from '@nestjs/bullmq';
import type { Job } from 'bullmq';
import { GracefulWorkerHost } from '../queueing/graceful-worker-host';
import { RELEASE_SETTLEMENTS_JOB, SETTLEMENT_QUEUE } from './settlement.constants';
import { SettlementReleaseService } from './settlement-release.service';

/** Runs the scheduled release of due pending money; a missed or doubled run is harmless (exactly once per row). */
@Processor(SETTLEMENT_QUEUE)
export class SettlementProcessor extends GracefulWorkerHost {
  constructor(private readonly release: SettlementReleaseService) {
    super();
  }

  async process(job: Job): Promise<Record<string, number | string>> {
    if (job.name !== RELEASE_SETTLEMENTS_JOB) {
      this.workerLogger.warn({ jobId: job.id, jobName: job.name }, 'settlement job of an unknown name rejected');
      return { outcome: 'rejected' };
    }
    return { released: await this.release.releaseDue() };
  }
}
