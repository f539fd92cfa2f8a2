import { BullModule, InjectQueue } from '@nestjs/bullmq';
import { type DynamicModule, Logger, Module, type OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { AppConfig } from '../config/app-config';
import type { AppRole } from '../config/config.schema';
import { MerchantsModule } from '../merchants/merchants.module';
import { OutboxRelay } from '../outbox/outbox.relay';
import { dashboardQueue } from '../queueing/dashboard-queue';
import { logQueueErrors } from '../queueing/queue-errors';
import { CardNetwork } from './card-network/card-network.port';
import { CardNetworkSimulator } from './card-network/card-network.simulator';
import { CardVault } from './card/card-vault.service';
import {
  AUTHORIZE_PAYMENT_JOB,
  AUTHORIZE_PAYMENT_TOPIC,
  EXPIRE_AUTHORIZATION_JOB,
  EXPIRE_AUTHORIZATION_TOPIC,
  PAYMENTS_QUEUE,
  type PaymentJobData,
} from './payments.constants';
import { expiryDelayMs, paymentJobData } from './payment-jobs';
import { PaymentsController } from './payments.controller';
import { paymentLimits } from './payments.limits';
import { PaymentsProcessor } from './payments.processor';
import { PaymentCache } from './payment-cache';
import { PaymentsService } from './payments.service';
import { StrandedPaymentsService } from './stranded-payments.service';
import { RefundsController } from '../refunds/refunds.controller';
import { RefundsService } from '../refunds/refunds.service';

@Module({})
export class PaymentsModule implements OnModuleInit {
  private readonly logger = new Logger(PaymentsModule.name);

  constructor(
    @InjectQueue(PAYMENTS_QUEUE) private readonly queue: Queue<PaymentJobData>,
    private readonly relay: OutboxRelay,
    private readonly config: AppConfig,
  ) {
    logQueueErrors(this.queue, this.logger);
  }

  /** Payments and their refunds. `api` serves the HTTP API, `worker` runs the processor, `all` both; the queue is registered for every role. */
  static register(role: AppRole): DynamicModule {
    const serveHttp = role === 'all' || role === 'api';
    const runWorker = role === 'all' || role === 'worker';
    return {
      module: PaymentsModule,
      imports: [MerchantsModule, BullModule.registerQueue({ name: PAYMENTS_QUEUE }), dashboardQueue(PAYMENTS_QUEUE)],
      controllers: serveHttp ? [PaymentsController, RefundsController] : [],
      providers: [
        PaymentsService,
        StrandedPaymentsService,
        PaymentCache,
        RefundsService,
        CardVault,
        ApiKeyGuard,
        { provide: CardNetwork, useClass: CardNetworkSimulator },
        ...(runWorker ? [PaymentsProcessor] : []),
      ],
      exports: [PaymentsService, RefundsService, StrandedPaymentsService],
    };
  }

  /**
   * Outbox rows become BullMQ jobs that carry ids only; jobId = outbox id, so a re-send is a no-op. The processor
   * reads everything else from the payment row.
   */
  onModuleInit(): void {
    this.relay.register(AUTHORIZE_PAYMENT_TOPIC, async (message) => {
      await this.queue.add(AUTHORIZE_PAYMENT_JOB, paymentJobData(message.payload), {
        jobId: message.id,
        attempts: this.config.payments.attemptsMax,
        backoff: { type: 'exponential', delay: this.config.payments.backoffDelayMs },
        removeOnComplete: { count: paymentLimits.completedJobsKept },
        removeOnFail: { count: this.config.deadLetterRetentionCount },
      });
    });
    // The expiry is a delayed job computed from the stored deadline, so a late relay still cancels on time; the
    // deadline stays in the outbox row, and the job checks the payment's own authorization_expires_at when it runs.
    this.relay.register(EXPIRE_AUTHORIZATION_TOPIC, async (message) => {
      await this.queue.add(EXPIRE_AUTHORIZATION_JOB, paymentJobData(message.payload), {
        jobId: message.id,
        delay: expiryDelayMs(message.payload.expiresAt, Date.now()),
        attempts: this.config.payments.attemptsMax,
        backoff: { type: 'exponential', delay: this.config.payments.backoffDelayMs },
        removeOnComplete: { count: paymentLimits.completedJobsKept },
        removeOnFail: { count: this.config.deadLetterRetentionCount },
      });
    });
  }
}
