import { type DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import type { AppRole } from '../config/config.schema';
import { LedgerModule } from '../ledger/ledger.module';
import { MerchantsModule } from '../merchants/merchants.module';
import { defineQueue } from '../queueing/declared-queue';
import type { DeclaredJobOptions } from '../queueing/queue-declaration';
import { VerificationModule } from '../verification/verification.module';
import { BankRail } from './bank-rail/bank-rail.port';
import { BankRailSimulator } from './bank-rail/bank-rail.simulator';
import { arrivalDelayMs, payoutJobData } from './payout-jobs';
import { PayoutLedgerCheck } from './payout-ledger-check';
import { scheduleCronPatterns } from './payout-schedule';
import { PayoutsAdminController } from './payouts-admin.controller';
import { PayoutsController } from './payouts.controller';
import {
  PAYOUTS_QUEUE,
  RUN_DAILY_PAYOUTS_JOB,
  RUN_WEEKLY_PAYOUTS_JOB,
  SETTLE_PAYOUT_JOB,
  SETTLE_PAYOUT_TOPIC,
  SUBMIT_PAYOUT_JOB,
  SUBMIT_PAYOUT_TOPIC,
} from './payouts.constants';
import { payoutLimits } from './payouts.limits';
import { PayoutsProcessor } from './payouts.processor';
import { PayoutsService } from './payouts.service';

/** Submit and settle jobs are retried while the bank rail cannot answer; one that failed for good is a dead letter. */
const payoutStepOptions = (config: AppConfig): DeclaredJobOptions => ({
  attempts: payoutLimits.jobAttemptsMax,
  backoff: { type: 'exponential', delay: payoutLimits.jobBackoffDelayMs },
  removeOnComplete: { count: payoutLimits.completedJobsKept },
  removeOnFail: { count: config.deadLetterRetentionCount },
});

// A scheduled run is idempotent per period and runs again at its next time (or by the operator's run endpoint).
const scheduleRunOptions = (): DeclaredJobOptions => ({
  attempts: 1,
  removeOnComplete: { count: payoutLimits.scheduleRunsKept },
  removeOnFail: { count: payoutLimits.scheduleRunsKept },
});

/**
 * The payouts queue. Outbox rows become jobs that carry ids only (payoutJobData); jobId = outbox id, so a re-send is
 * a no-op. The settle job is delayed until the payout's stored arrival date, and checks it again when it runs. The
 * scheduled runs of automatic payouts are cron job schedulers in UTC.
 */
export const payoutsQueue = defineQueue({
  name: PAYOUTS_QUEUE,
  processor: PayoutsProcessor,
  jobs: {
    [SUBMIT_PAYOUT_JOB]: payoutStepOptions,
    [SETTLE_PAYOUT_JOB]: payoutStepOptions,
    [RUN_DAILY_PAYOUTS_JOB]: scheduleRunOptions,
    [RUN_WEEKLY_PAYOUTS_JOB]: scheduleRunOptions,
  },
  outboxTopics: {
    [SUBMIT_PAYOUT_TOPIC]: { job: SUBMIT_PAYOUT_JOB, data: payoutJobData },
    [SETTLE_PAYOUT_TOPIC]: {
      job: SETTLE_PAYOUT_JOB,
      data: payoutJobData,
      delayMs: (payload, nowMs) => arrivalDelayMs(payload.arrivalAt, nowMs),
    },
  },
  schedules: () => [
    { job: RUN_DAILY_PAYOUTS_JOB, pattern: scheduleCronPatterns.daily },
    { job: RUN_WEEKLY_PAYOUTS_JOB, pattern: scheduleCronPatterns.weekly },
  ],
});

/**
 * Payouts (API.md "Settlement and payouts"): `api` serves the HTTP API, `worker` runs the processor and the schedules,
 * `all` both; the queue is registered for every role. The bank rail is a port bound to the simulator.
 */
@Module({})
export class PayoutsModule {
  static register(role: AppRole): DynamicModule {
    const serveHttp = role === 'all' || role === 'api';
    return payoutsQueue.mount(role, {
      module: PayoutsModule,
      imports: [LedgerModule, MerchantsModule, VerificationModule],
      controllers: serveHttp ? [PayoutsController, PayoutsAdminController] : [],
      providers: [PayoutsService, PayoutLedgerCheck, { provide: BankRail, useClass: BankRailSimulator }],
      exports: [PayoutsService],
    });
  }
}
