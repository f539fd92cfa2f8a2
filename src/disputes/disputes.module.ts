import { type DynamicModule, Module } from '@nestjs/common';
import type { AppRole } from '../config/config.schema';
import { LedgerModule } from '../ledger/ledger.module';
import { PaymentCommandsModule } from '../payments/payments.module';
import { defineQueue } from '../queueing/declared-queue';
import type { DeclaredJobOptions } from '../queueing/queue-declaration';
import { VerificationModule } from '../verification/verification.module';
import type { AppConfig } from '../config/app-config';
import { DisputeLedgerCheck } from './dispute-ledger.check';
import { deadlineDelayMs, disputeJobData } from './dispute-jobs';
import {
  ACCEPT_DISPUTE_JOB,
  ACCEPT_DISPUTE_TOPIC,
  DISPUTE_DEADLINE_JOB,
  DISPUTE_DEADLINE_TOPIC,
  DISPUTES_QUEUE,
  POLL_NETWORK_DISPUTES_JOB,
  SUBMIT_EVIDENCE_JOB,
  SUBMIT_EVIDENCE_TOPIC,
} from './disputes.constants';
import { DisputesController } from './disputes.controller';
import { disputeLimits } from './disputes.limits';
import { DisputesProcessor } from './disputes.processor';
import { DisputesService } from './disputes.service';

// A dispute's jobs talk to the card network: retried with backoff like a payment's network jobs, then kept in the
// dead-letter view. Each is idempotent (the network answers a repeated call the same, our transitions apply once).
const networkJobOptions = (config: AppConfig): DeclaredJobOptions => ({
  attempts: config.payments.attemptsMax,
  backoff: { type: 'exponential', delay: config.payments.backoffDelayMs },
  removeOnComplete: { count: disputeLimits.jobsKept },
  removeOnFail: { count: config.deadLetterRetentionCount },
});

// The poll runs again at its next interval, so a failed run is not retried.
const pollJobOptions = (): DeclaredJobOptions => ({
  attempts: 1,
  removeOnComplete: { count: disputeLimits.jobsKept },
  removeOnFail: { count: disputeLimits.jobsKept },
});

/**
 * The disputes queue: every worker upserts the poll of the network's opened disputes (DISPUTE_POLL_INTERVAL_MS);
 * outbox rows become each dispute's jobs (evidence to the network, acceptance, and the deadline delayed to
 * evidence_due_by from the stored time, so a late relay still decides on time).
 */
export const disputesQueue = defineQueue({
  name: DISPUTES_QUEUE,
  processor: DisputesProcessor,
  jobs: {
    [POLL_NETWORK_DISPUTES_JOB]: pollJobOptions,
    [SUBMIT_EVIDENCE_JOB]: networkJobOptions,
    [ACCEPT_DISPUTE_JOB]: networkJobOptions,
    [DISPUTE_DEADLINE_JOB]: networkJobOptions,
  },
  outboxTopics: {
    [SUBMIT_EVIDENCE_TOPIC]: { job: SUBMIT_EVIDENCE_JOB, data: disputeJobData },
    [ACCEPT_DISPUTE_TOPIC]: { job: ACCEPT_DISPUTE_JOB, data: disputeJobData },
    [DISPUTE_DEADLINE_TOPIC]: {
      job: DISPUTE_DEADLINE_JOB,
      data: disputeJobData,
      delayMs: (payload, nowMs) => deadlineDelayMs(payload.evidenceDueBy, nowMs),
    },
  },
  schedules: (config) => [{ job: POLL_NETWORK_DISPUTES_JOB, everyMs: config.disputes.pollIntervalMs }],
});

/**
 * Disputes (API.md "Disputes"): `api` and `all` serve the HTTP API, the worker roles run the poll and the jobs; every
 * role registers the verifier's dispute check (the verifier runs in the api and in the maintenance worker).
 */
@Module({})
export class DisputesModule {
  static register(role: AppRole): DynamicModule {
    const serveHttp = role === 'all' || role === 'api';
    return disputesQueue.mount(role, {
      module: DisputesModule,
      imports: [PaymentCommandsModule, LedgerModule, VerificationModule],
      controllers: serveHttp ? [DisputesController] : [],
      providers: [DisputesService, DisputeLedgerCheck],
      exports: [DisputesService],
    });
  }
}
