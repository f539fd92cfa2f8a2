import { type DynamicModule, Module } from '@nestjs/common';
import type { AppRole } from '../config/config.schema';
import { LedgerModule } from '../ledger/ledger.module';
import { PaymentCommandsModule } from '../payments/payments.module';
import { defineQueue } from '../queueing/declared-queue';
import type { DeclaredJobOptions } from '../queueing/queue-declaration';
import { RECONCILE_DAY_JOB, RECONCILIATION_QUEUE } from './reconciliation.constants';
import { ReconciliationController } from './reconciliation.controller';
import { reconciliationLimits } from './reconciliation.limits';
import { ReconciliationRuns } from './reconciliation-runs.metrics';
import { ReconciliationMetrics } from './reconciliation.metrics';
import { ReconciliationProcessor } from './reconciliation.processor';
import { ReconciliationService } from './reconciliation.service';

// A run replaces its day, so a retried one is harmless.
const reconcileDayOptions = (): DeclaredJobOptions => ({
  attempts: reconciliationLimits.attemptsMax,
  backoff: { type: 'exponential', delay: reconciliationLimits.backoffDelayMs },
  removeOnComplete: { count: reconciliationLimits.runsKept },
  removeOnFail: { count: reconciliationLimits.runsKept },
});

/** The daily reconciliation: a cron job scheduler (UTC) shortly after each day ends. */
export const reconciliationQueue = defineQueue({
  name: RECONCILIATION_QUEUE,
  processor: ReconciliationProcessor,
  jobs: { [RECONCILE_DAY_JOB]: reconcileDayOptions },
  schedules: () => [{ job: RECONCILE_DAY_JOB, pattern: reconciliationLimits.scheduleCronPattern }],
});

/**
 * Reconciliation (API.md "Reconciliation", operator): the card network's settlement reports against the ledger, per
 * UTC day. Sits above payments (the CardNetwork port its module exports) and the ledger (LedgerService's network
 * movements); neither knows it. `api` serves the operator's routes, `worker` runs the daily job, `all` both; the
 * metrics are on /metrics in every role.
 */
@Module({})
export class ReconciliationModule {
  static register(role: AppRole): DynamicModule {
    const serveHttp = role === 'all' || role === 'api';
    return reconciliationQueue.mount(role, {
      module: ReconciliationModule,
      imports: [LedgerModule, PaymentCommandsModule],
      controllers: serveHttp ? [ReconciliationController] : [],
      providers: [ReconciliationService, ReconciliationRuns, ReconciliationMetrics],
    });
  }
}
