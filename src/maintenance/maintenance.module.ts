import { type DynamicModule, Module } from '@nestjs/common';
import type { AppRole } from '../config/config.schema';
import { defineQueue } from '../queueing/declared-queue';
import type { DeclaredJobOptions } from '../queueing/queue-declaration';
import { VerificationModule } from '../verification/verification.module';
import {
  MAINTENANCE_QUEUE,
  SWEEP_IDEMPOTENCY_KEYS_JOB,
  SWEEP_SENT_OUTBOX_JOB,
  SWEEP_STRANDED_PAYMENTS_JOB,
  VERIFY_LEDGER_JOB,
} from './maintenance.constants';
import { maintenanceLimits } from './maintenance.limits';
import { MaintenanceProcessor } from './maintenance.processor';

// Each housekeeping job is idempotent and runs again at its next interval, so a failed run is not retried.
const housekeepingJobOptions = (): DeclaredJobOptions => ({
  attempts: 1,
  removeOnComplete: { count: maintenanceLimits.jobsKept },
  removeOnFail: { count: maintenanceLimits.jobsKept },
});

/** Scheduled housekeeping: every process that runs workers upserts the schedules, from the configured intervals. */
export const maintenanceQueue = defineQueue({
  name: MAINTENANCE_QUEUE,
  processor: MaintenanceProcessor,
  jobs: {
    [SWEEP_IDEMPOTENCY_KEYS_JOB]: housekeepingJobOptions,
    [VERIFY_LEDGER_JOB]: housekeepingJobOptions,
    [SWEEP_STRANDED_PAYMENTS_JOB]: housekeepingJobOptions,
    [SWEEP_SENT_OUTBOX_JOB]: housekeepingJobOptions,
  },
  schedules: (config) => [
    { job: SWEEP_IDEMPOTENCY_KEYS_JOB, everyMs: config.idempotencySweepIntervalMs },
    { job: VERIFY_LEDGER_JOB, everyMs: config.ledgerVerifyIntervalMs },
    { job: SWEEP_STRANDED_PAYMENTS_JOB, everyMs: config.strandedPaymentsSweepIntervalMs },
    { job: SWEEP_SENT_OUTBOX_JOB, everyMs: config.outboxSweep.intervalMs },
  ],
});

@Module({})
export class MaintenanceModule {
  static register(role: AppRole): DynamicModule {
    return maintenanceQueue.mount(role, { module: MaintenanceModule, imports: [VerificationModule] });
  }
}
