import { OnWorkerEvent, Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { DelayedError, type Job } from 'bullmq';
import { GracefulWorkerHost } from '../queueing/graceful-worker-host';
import { parsePayoutJob } from './payout-jobs';
import {
  PAYOUTS_QUEUE,
  RUN_DAILY_PAYOUTS_JOB,
  RUN_WEEKLY_PAYOUTS_JOB,
  SETTLE_PAYOUT_JOB,
  SUBMIT_PAYOUT_JOB,
} from './payouts.constants';
import { PayoutsService } from './payouts.service';

// Outcomes that only a replayed job explains innocently are worth a warning: they are what a forged job gets.
const suspiciousOutcomes: ReadonlySet<string> = new Set(['unknown_payout', 'wrong_merchant']);

/**
 * Drives payouts through the bank rail (submit, then settle on the arrival date) and runs the scheduled automatic
 * payouts. Job data is untrusted: it names a payout and its merchant, everything else is read from PostgreSQL. A job
 * that must not act completes with its reason as the outcome, so it is not retried; a rail that cannot answer throws,
 * and BullMQ retries with backoff.
 */
@Processor(PAYOUTS_QUEUE)
export class PayoutsProcessor extends GracefulWorkerHost {
  private readonly logger = new Logger(PayoutsProcessor.name);

  constructor(private readonly payouts: PayoutsService) {
    super();
  }

  process(job: Job<unknown>, token?: string): Promise<Record<string, string | number>> {
    return this.inJobTrace(job, () => this.run(job, token));
  }

  private async run(job: Job<unknown>, token?: string): Promise<Record<string, string | number>> {
    switch (job.name) {
      case RUN_DAILY_PAYOUTS_JOB:
        return { payoutsCreated: await this.payouts.runSchedules(['daily']) };
      case RUN_WEEKLY_PAYOUTS_JOB:
        return { payoutsCreated: await this.payouts.runSchedules(['weekly']) };
      case SUBMIT_PAYOUT_JOB:
      case SETTLE_PAYOUT_JOB:
        return this.step(job, token);
      default:
        this.logger.warn({ jobId: job.id, jobName: job.name }, 'payouts job of an unknown name rejected');
        return { outcome: 'rejected' };
    }
  }

  private async step(job: Job<unknown>, token?: string): Promise<{ outcome: string }> {
    const parsed = parsePayoutJob(job.name, job.data);
    if (!parsed.valid) {
      this.logger.warn({ jobId: job.id, jobName: job.name, reason: parsed.reason }, 'payouts job rejected');
      return { outcome: 'rejected' };
    }
    const { target } = parsed;
    const result =
      job.name === SUBMIT_PAYOUT_JOB ? await this.payouts.submit(target) : await this.payouts.settle(target);
    if (suspiciousOutcomes.has(result.outcome)) {
      this.logger.warn(
        { jobId: job.id, jobName: job.name, payoutId: target.payoutId, outcome: result.outcome },
        'payouts job changed nothing',
      );
    }
    if (result.outcome !== 'not_due' || !('dueInMs' in result)) return { outcome: result.outcome };
    // A settle job that runs before the arrival date (a forged job, or a clock that disagrees with the database's)
    // moves itself to that time instead of completing: completing would leave the payout in transit for good.
    this.logger.log({ jobId: job.id, payoutId: target.payoutId, dueInMs: result.dueInMs }, 'settle job not due');
    if (token === undefined) return { outcome: 'not_due' };
    await job.moveToDelayed(Date.now() + result.dueInMs, token);
    throw new DelayedError();
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<unknown> | undefined, error: Error): void {
    const payoutId = (job?.data as { payoutId?: unknown } | undefined)?.payoutId;
    this.logger.warn(
      {
        jobId: job?.id,
        jobName: job?.name,
        payoutId: typeof payoutId === 'string' ? payoutId : undefined,
        attemptsMade: job?.attemptsMade,
        reason: error.message,
      },
      'payouts job attempt failed',
    );
  }
}
