import { type DynamicModule, Module } from '@nestjs/common';
import type { AppRole } from '../config/config.schema';
import { LedgerModule } from '../ledger/ledger.module';
import { defineQueue } from '../queueing/declared-queue';
import type { DeclaredJobOptions } from '../queueing/queue-declaration';
import { VerificationModule } from '../verification/verification.module';
import { SettlementLedgerCheck } from './settlement-ledger-check';
import { RELEASE_SETTLEMENTS_JOB, SETTLEMENT_QUEUE } from './settlement.constants';
import { settlementLimits } from './settlement.limits';
import { SettlementProcessor } from './settlement.processor';
import { SettlementReleaseService } from './settlement-release.service';
import { SettlementsAdminController } from './settlements-admin.controller';

// A release run is exactly once per row and runs again at its next interval, so a failed run is not retried.
const releaseRunOptions = (): DeclaredJobOptions => ({
  attempts: 1,
  removeOnComplete: { count: settlementLimits.releaseRunsKept },
  removeOnFail: { count: settlementLimits.releaseRunsKept },
});

/**
 * The settlement queue: a job scheduler releases due pending money every SETTLEMENT_RELEASE_INTERVAL_MS. It runs
 * whatever SETTLEMENT_DELAY_MS is, so that money left pending under an earlier delay is still released (one read
 * that finds nothing, otherwise).
 */
export const settlementQueue = defineQueue({
  name: SETTLEMENT_QUEUE,
  processor: SettlementProcessor,
  jobs: { [RELEASE_SETTLEMENTS_JOB]: releaseRunOptions },
  schedules: (config) => [{ job: RELEASE_SETTLEMENTS_JOB, everyMs: config.settlement.releaseIntervalMs }],
});

/**
 * Settlement delay (API.md "Settlement and payouts"): the release job (worker roles), the operator's run endpoint
 * (api roles) and the verifier's `settlement_release` check. Captures write the pending rows (PaymentsService).
 */
@Module({})
export class SettlementModule {
  static register(role: AppRole): DynamicModule {
    const serveHttp = role === 'all' || role === 'api';
    return settlementQueue.mount(role, {
      module: SettlementModule,
      imports: [LedgerModule, VerificationModule],
      controllers: serveHttp ? [SettlementsAdminController] : [],
      providers: [SettlementReleaseService, SettlementLedgerCheck],
    });
  }
}
