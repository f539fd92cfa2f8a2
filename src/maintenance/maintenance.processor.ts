import { Processor } from '@nestjs/bullmq';
import { ModuleRef } from '@nestjs/core';
import type { Job } from 'bullmq';
import { GracefulWorkerHost } from '../queueing/graceful-worker-host';
import { AppConfig } from '../config/app-config';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { OutboxService } from '../outbox/outbox.service';
import { StrandedPaymentsService } from '../payments/stranded-payments.service';
import { LedgerVerifier } from '../verification/ledger-verifier.service';
import {
  MAINTENANCE_QUEUE,
  SWEEP_IDEMPOTENCY_KEYS_JOB,
  SWEEP_SENT_OUTBOX_JOB,
  SWEEP_STRANDED_PAYMENTS_JOB,
  VERIFY_LEDGER_JOB,
} from './maintenance.constants';

/** Scheduled housekeeping; each job is idempotent, so a missed or doubled run is harmless. */
@Processor(MAINTENANCE_QUEUE)
export class MaintenanceProcessor extends GracefulWorkerHost {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly verifier: LedgerVerifier,
    private readonly moduleRef: ModuleRef,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
  ) {
    super();
  }

  /**
   * The payments module's instance, looked up when a sweep runs rather than imported here: importing
   * PaymentsModule.register(role) again could mount it twice, with a second payments processor.
   */
  private strandedPayments(): StrandedPaymentsService {
    return this.moduleRef.get(StrandedPaymentsService, { strict: false });
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
        if (verification.findings.length > 0) {
          this.workerLogger.warn({ findings: verification.findings }, 'ledger verification found stranded payments');
        }
        return {
          balanced: verification.balanced ? 1 : 0,
          mismatches: verification.mismatches.length,
          findings: verification.findings.length,
        };
      }
      case SWEEP_STRANDED_PAYMENTS_JOB:
        return this.strandedPayments().sweep();
      case SWEEP_SENT_OUTBOX_JOB:
        return { deleted: await this.outbox.sweepSent(this.config.outboxSweep.retentionMs) };
      default:
        throw new Error(`unknown maintenance job ${job.name}`);
    }
  }
}
