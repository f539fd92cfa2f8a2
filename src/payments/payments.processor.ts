import { OnWorkerEvent, Processor } from '@nestjs/bullmq';
import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import { GracefulWorkerHost } from '../queueing/graceful-worker-host';
import { AppConfig } from '../config/app-config';
import { CardNetwork } from './card-network/card-network.port';
import { CardVault } from './card/card-vault.service';
import {
  AUTHORIZE_PAYMENT_JOB,
  type AuthorizePaymentJobData,
  EXPIRE_AUTHORIZATION_JOB,
  type ExpireAuthorizationJobData,
  PAYMENTS_QUEUE,
} from './payments.constants';
import { PaymentsService } from './payments.service';

/** Authorizes payments against the card network; transient network errors are retried by BullMQ with backoff. */
@Processor(PAYMENTS_QUEUE)
export class PaymentsProcessor extends GracefulWorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(PaymentsProcessor.name);

  constructor(
    private readonly payments: PaymentsService,
    private readonly vault: CardVault,
    private readonly network: CardNetwork,
    private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.payments.workerConcurrency;
  }

  async process(job: Job<AuthorizePaymentJobData | ExpireAuthorizationJobData>): Promise<{ outcome: string }> {
    switch (job.name) {
      case AUTHORIZE_PAYMENT_JOB:
        return this.authorize(job as Job<AuthorizePaymentJobData>);
      case EXPIRE_AUTHORIZATION_JOB: {
        const canceled = await this.payments.expireAuthorization(job.data.paymentId);
        return { outcome: canceled ? 'canceled' : 'already_final' };
      }
      default:
        throw new Error(`unknown job ${job.name} on ${PAYMENTS_QUEUE}`);
    }
  }

  private async authorize(job: Job<AuthorizePaymentJobData>): Promise<{ outcome: string }> {
    const payment = await this.payments.pendingAuthorization(job.data.paymentId);
    if (!payment) return { outcome: 'already_final' };
    const card = await this.vault.read(job.data.vaultToken);
    if (!card) return { outcome: 'card_erased' };
    const attempt = job.attemptsMade + 1;
    let result;
    try {
      result = await this.network.authorize({
        paymentId: payment.id,
        amountMinor: payment.amount,
        currency: payment.currency,
        card: { number: card.number, cvc: card.cvc, expMonth: payment.card.exp_month, expYear: payment.card.exp_year },
        attempt,
      });
    } catch (error) {
      if (attempt >= (job.opts.attempts ?? 1)) {
        // The retry budget is spent: the payment fails for good, and the job stays in the dead-letter view.
        await this.payments.completeAuthorization(payment.id, {
          approved: false,
          declineCode: 'processing_error',
          message: 'The card network could not be reached; the payment was not charged.',
        });
      }
      throw error;
    }
    const completed = await this.payments.completeAuthorization(payment.id, result);
    return { outcome: completed?.status ?? 'already_final' };
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<{ paymentId: string }> | undefined, error: Error): void {
    this.logger.warn(
      { jobId: job?.id, paymentId: job?.data.paymentId, attemptsMade: job?.attemptsMade, reason: error.message },
      'authorization attempt failed',
    );
  }
}
