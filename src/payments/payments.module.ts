import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { AppConfig } from '../config/app-config';
import type { AppRole } from '../config/config.schema';
import { defineQueue } from '../queueing/declared-queue';
import type { DeclaredJobOptions } from '../queueing/queue-declaration';
import { LedgerModule } from '../ledger/ledger.module';
import { CardNetwork } from './card-network/card-network.port';
import { CardNetworkSimulator } from './card-network/card-network.simulator';
import { CardVault } from './card/card-vault.service';
import {
  AUTHORIZE_PAYMENT_JOB,
  AUTHORIZE_PAYMENT_TOPIC,
  EXPIRE_AUTHORIZATION_JOB,
  EXPIRE_AUTHORIZATION_TOPIC,
  NETWORK_CAPTURE_JOB,
  NETWORK_CAPTURE_TOPIC,
  NETWORK_REFUND_JOB,
  NETWORK_REFUND_TOPIC,
  PAYMENTS_QUEUE,
} from './payments.constants';
import { expiryDelayMs, networkRefundJobData, paymentJobData } from './payment-jobs';
import { CardNetworkReportHook } from './card-network/card-network-report-hook.service';
import { SimulatedNetworkBooks } from './card-network/simulated-network-books';
import { PaymentIntake } from './payment-intake';
import { PaymentsController } from './payments.controller';
import { paymentLimits } from './payments.limits';
import { PaymentsProcessor } from './payments.processor';
import { PaymentsService } from './payments.service';
import { SettlementMetrics } from './settlement.metrics';
import { StrandedPaymentsService } from './stranded-payments.service';
import { CardPaymentMethod } from './payment-methods/card.payment-method';
import { PaymentMethodRegistry } from './payment-methods/payment-method.registry';

/** Both payments jobs are retried on transient card-network errors; a job that failed for good is a dead letter. */
const paymentJobOptions = (config: AppConfig): DeclaredJobOptions => ({
  attempts: config.payments.attemptsMax,
  backoff: { type: 'exponential', delay: config.payments.backoffDelayMs },
  removeOnComplete: { count: paymentLimits.completedJobsKept },
  removeOnFail: { count: config.deadLetterRetentionCount },
});

/**
 * The payments queue. Outbox rows become jobs that carry ids only (paymentJobData); jobId = outbox id, so a
 * re-send is a no-op, and the processor reads everything else from the payment row. The expiry is a delayed job
 * computed from the stored deadline, so a late relay still cancels on time; the deadline stays in the outbox row,
 * and the job checks the payment's own authorization_expires_at when it runs. A captured payment and a refund then
 * reach the card network through their own jobs (network-capture, network-refund), retried like an authorization.
 */
export const paymentsQueue = defineQueue({
  name: PAYMENTS_QUEUE,
  processor: PaymentsProcessor,
  jobs: {
    [AUTHORIZE_PAYMENT_JOB]: paymentJobOptions,
    [EXPIRE_AUTHORIZATION_JOB]: paymentJobOptions,
    [NETWORK_CAPTURE_JOB]: paymentJobOptions,
    [NETWORK_REFUND_JOB]: paymentJobOptions,
  },
  outboxTopics: {
    [AUTHORIZE_PAYMENT_TOPIC]: { job: AUTHORIZE_PAYMENT_JOB, data: paymentJobData },
    [EXPIRE_AUTHORIZATION_TOPIC]: {
      job: EXPIRE_AUTHORIZATION_JOB,
      data: paymentJobData,
      delayMs: (payload, nowMs) => expiryDelayMs(payload.expiresAt, nowMs),
    },
    [NETWORK_CAPTURE_TOPIC]: { job: NETWORK_CAPTURE_JOB, data: paymentJobData },
    [NETWORK_REFUND_TOPIC]: { job: NETWORK_REFUND_JOB, data: networkRefundJobData },
  },
});

/**
 * Payments' commands (PaymentsService: create, capture, cancel, applyRefund, ...), the payment methods and the
 * stranded-payments sweep, for every role and for the modules that act on payments (refunds). A payment method is
 * a PaymentMethodHandler provider in any module; the registry finds it.
 */
@Module({
  imports: [DiscoveryModule, LedgerModule],
  providers: [
    PaymentsService,
    SettlementMetrics,
    StrandedPaymentsService,
    PaymentMethodRegistry,
    CardPaymentMethod,
    CardVault,
    { provide: CardNetwork, useClass: CardNetworkSimulator },
    SimulatedNetworkBooks,
    CardNetworkReportHook,
  ],
  // CardNetwork: its disputes and settlement reports serve the features above payments (disputes, reconciliation).
  exports: [PaymentsService, StrandedPaymentsService, PaymentMethodRegistry, CardNetwork, CardNetworkReportHook],
})
export class PaymentCommandsModule {}

@Module({})
export class PaymentsModule {
  /** Payments: `api` serves the HTTP API, `worker` runs the processor, `all` both; the queue is registered for every role. */
  static register(role: AppRole): DynamicModule {
    const serveHttp = role === 'all' || role === 'api';
    return paymentsQueue.mount(role, {
      module: PaymentsModule,
      imports: [PaymentCommandsModule],
      controllers: serveHttp ? [PaymentsController] : [],
      providers: serveHttp ? [PaymentIntake] : [],
      exports: [PaymentCommandsModule],
    });
  }
}
