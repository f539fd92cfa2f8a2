import { OnWorkerEvent, Processor } from '@nestjs/bullmq';
import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DelayedError, type Job } from 'bullmq';
import { GracefulWorkerHost } from '../queueing/graceful-worker-host';
import { AppConfig } from '../config/app-config';
import type { AuthorizationResult } from './card-network/card-network.port';
import { parsePaymentJob, type PaymentJobTarget } from './payment-jobs';
import { AUTHORIZE_PAYMENT_JOB, NETWORK_CAPTURE_JOB, NETWORK_REFUND_JOB, PAYMENTS_QUEUE } from './payments.constants';
import { PaymentsService } from './payments.service';
import { closedKeyOutcomeLabel, outcomeOfClosedKey } from './stranded-payments';

// Outcomes that only a replayed job explains innocently are worth a warning: they are what a forged job gets.
const suspiciousOutcomes: ReadonlySet<string> = new Set([
  'unknown_payment',
  'unknown_refund',
  'wrong_merchant',
  'card_mismatch',
  'unknown_payment_method',
]);

/**
 * Authorizes payments through their payment method's handler (a card against the card network) and expires authorizations nobody captured; transient network
 * errors are retried by BullMQ with backoff. Job data is untrusted: it names a payment, and everything else is
 * read from PostgreSQL. A job that must not act completes with its reason as the outcome, so it is not retried.
 * The worker starts at bootstrap, once the configured lock timing is applied.
 */
@Processor(PAYMENTS_QUEUE, { autorun: false })
export class PaymentsProcessor extends GracefulWorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(PaymentsProcessor.name);

  constructor(
    private readonly payments: PaymentsService,
    private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.payments.workerConcurrency;
    const lockMs = this.config.payments.jobLockMs;
    this.runWorker({ lockDurationMs: lockMs, stalledIntervalMs: lockMs });
  }

  process(job: Job<unknown>, token?: string): Promise<{ outcome: string }> {
    return this.inJobTrace(job, () => this.run(job, token));
  }

  private async run(job: Job<unknown>, token?: string): Promise<{ outcome: string }> {
    const parsed = parsePaymentJob(job.name, job.data);
    if (!parsed.valid) {
      this.logger.warn({ jobId: job.id, jobName: job.name, reason: parsed.reason }, 'payments job rejected');
      return { outcome: 'rejected' };
    }
    const result =
      job.name === AUTHORIZE_PAYMENT_JOB
        ? await this.authorize(job, parsed.target)
        : job.name === NETWORK_CAPTURE_JOB
          ? { outcome: await this.payments.captureAtNetwork(parsed.target) }
          : job.name === NETWORK_REFUND_JOB
            ? { outcome: await this.payments.refundAtNetwork(parsed.target) }
            : await this.expire(job, parsed.target, token);
    if (suspiciousOutcomes.has(result.outcome)) {
      this.logger.warn(
        { jobId: job.id, jobName: job.name, paymentId: parsed.target.paymentId, outcome: result.outcome },
        'payments job changed nothing',
      );
    }
    return result;
  }

  /**
   * Asking the provider and completing the payment are one step for the retries: an error in either (or a worker
   * killed between them) retries the job, and the provider answers the payment's key again with its first final
   * answer, so the payment is charged at most once and completed once (the update is guarded).
   */
  private async authorize(job: Job<unknown>, target: PaymentJobTarget): Promise<{ outcome: string }> {
    const pending = await this.payments.pendingAuthorization(target);
    if (pending.outcome !== 'ready' || !('payment' in pending)) return { outcome: pending.outcome };
    const { payment } = pending;
    const attempt = job.attemptsMade + 1;
    try {
      const result = await pending.authorize(attempt);
      const completed = await this.payments.completeAuthorization(payment.id, result);
      return { outcome: completed?.status ?? 'already_final' };
    } catch (error) {
      if (attempt < (job.opts.attempts ?? 1)) throw error;
      return this.settleAfterLastAttempt(payment.id, () => pending.close(), error);
    }
  }

  /**
   * The retry budget is spent. Failing blindly could fail a payment whose card was charged, so the network closes
   * the payment's key first and says how it ended: an answer it gave is completed as given; without one the key
   * can no longer be approved, and the payment fails (its job stays in the dead-letter view). When the network
   * cannot say, the payment is left processing for the stranded-payments sweep to ask again.
   */
  private async settleAfterLastAttempt(
    paymentId: string,
    close: () => Promise<AuthorizationResult | null>,
    error: unknown,
  ): Promise<{ outcome: string }> {
    let answer;
    try {
      answer = await close();
    } catch (closeError) {
      this.logger.warn({ paymentId, err: closeError }, 'card network could not close the authorization');
      throw error;
    }
    if (answer) {
      this.logger.warn({ paymentId, approved: answer.approved }, 'authorization completed from the closed key');
      const completed = await this.payments.completeAuthorization(paymentId, answer);
      return { outcome: completed?.status ?? 'already_final' };
    }
    await this.payments.completeAuthorization(paymentId, {
      approved: false,
      declineCode: 'processing_error',
      message: 'The card network could not be reached; the payment was not charged.',
    });
    throw error;
  }

  /**
   * An expiry job that runs before the stored expiry (a forged job, or a clock that disagrees with the
   * database's) moves itself to that time instead of completing: completing would leave the hold in place for
   * good when the early job is the real one.
   */
  private async expire(job: Job<unknown>, target: PaymentJobTarget, token?: string): Promise<{ outcome: string }> {
    const expiry = await this.payments.expireAuthorization(target);
    if (expiry.outcome !== 'not_due') return { outcome: expiry.outcome };
    this.logger.log({ jobId: job.id, paymentId: target.paymentId, dueInMs: expiry.dueInMs }, 'expiry job not due');
    if (token === undefined) return { outcome: 'not_due' };
    await job.moveToDelayed(Date.now() + expiry.dueInMs, token);
    throw new DelayedError();
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<unknown> | undefined, error: Error): void {
    const paymentId = (job?.data as { paymentId?: unknown } | undefined)?.paymentId;
    this.logger.warn(
      {
        jobId: job?.id,
        paymentId: typeof paymentId === 'string' ? paymentId : undefined,
        attemptsMade: job?.attemptsMade,
        reason: error.message,
      },
      'payments job attempt failed',
    );
    // finishedOn is set only when the job failed for good (no retry follows).
    if (job?.name === AUTHORIZE_PAYMENT_JOB && job.finishedOn !== undefined) void this.settleFailedAuthorization(job);
  }

  /**
   * An authorization job that failed for good without settling its payment — BullMQ fails a job that stalled more
   * than maxStalledCount times (its worker killed or frozen twice) before it runs again — would leave the payment
   * `processing` until the stranded-payments sweep. It is settled now as the sweep would: the network closes the
   * key and the payment ends as the key did. A worker still running the job (frozen, then woken) then gets the
   * same answer, and the guarded completion leaves the payment as it is. On any error the sweep remains.
   */
  private async settleFailedAuthorization(job: Job<unknown>): Promise<void> {
    const parsed = parsePaymentJob(job.name, job.data);
    if (!parsed.valid) return;
    const paymentId = parsed.target.paymentId;
    try {
      const pending = await this.payments.pendingAuthorization(parsed.target);
      if (pending.outcome !== 'ready' || !('close' in pending)) return;
      const answer = await pending.close();
      const completed = await this.payments.completeAuthorization(paymentId, outcomeOfClosedKey(answer));
      if (completed) {
        this.logger.warn(
          { jobId: job.id, paymentId, outcome: closedKeyOutcomeLabel(answer), reason: job.failedReason },
          'authorization completed from the closed key after its job failed',
        );
      }
    } catch (error) {
      this.logger.warn({ jobId: job.id, paymentId, err: error }, 'failed authorization left for the stranded sweep');
    }
  }
}
