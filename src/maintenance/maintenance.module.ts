import { BullModule, InjectQueue } from '@nestjs/bullmq';
import { type DynamicModule, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { AppConfig } from '../config/app-config';
import type { AppRole } from '../config/config.schema';
import { dashboardQueue } from '../queueing/dashboard-queue';
import { logQueueErrors } from '../queueing/queue-errors';
import {
  MAINTENANCE_QUEUE,
  SWEEP_IDEMPOTENCY_KEYS_JOB,
  SWEEP_STRANDED_PAYMENTS_JOB,
  VERIFY_LEDGER_JOB,
} from './maintenance.constants';
import { MaintenanceProcessor } from './maintenance.processor';

// Finished housekeeping jobs kept for the dashboard.
const maintenanceJobsKept = 100;

@Module({})
export class MaintenanceModule implements OnApplicationBootstrap {
  private readonly logger = new Logger(MaintenanceModule.name);

  constructor(
    @InjectQueue(MAINTENANCE_QUEUE) private readonly queue: Queue,
    private readonly config: AppConfig,
  ) {
    logQueueErrors(this.queue, this.logger);
  }

  static register(role: AppRole): DynamicModule {
    const runWorker = role === 'all' || role === 'worker';
    return {
      module: MaintenanceModule,
      imports: [BullModule.registerQueue({ name: MAINTENANCE_QUEUE }), dashboardQueue(MAINTENANCE_QUEUE)],
      providers: runWorker ? [MaintenanceProcessor] : [],
    };
  }

  /**
   * Job schedulers are upserted by every worker (the same id makes it a no-op after the first). Not awaited:
   * a queue Redis that is down at start must not keep the process from starting.
   */
  onApplicationBootstrap(): void {
    if (this.config.role !== 'all' && this.config.role !== 'worker') return;
    const jobOptions = {
      removeOnComplete: { count: maintenanceJobsKept },
      removeOnFail: { count: maintenanceJobsKept },
    };
    const schedules = [
      { name: SWEEP_IDEMPOTENCY_KEYS_JOB, every: this.config.idempotencySweepIntervalMs },
      { name: VERIFY_LEDGER_JOB, every: this.config.ledgerVerifyIntervalMs },
      { name: SWEEP_STRANDED_PAYMENTS_JOB, every: this.config.strandedPaymentsSweepIntervalMs },
    ];
    for (const { name, every } of schedules) {
      this.queue
        .upsertJobScheduler(name, { every }, { name, opts: jobOptions })
        .catch((error: unknown) => this.logger.warn({ err: error }, `maintenance schedule ${name} not registered yet`));
    }
  }
}
