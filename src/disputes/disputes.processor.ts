import { Processor } from '@nestjs/bullmq';
import { DelayedError, type Job } from 'bullmq';
import { GracefulWorkerHost } from '../queueing/graceful-worker-host';
import { parseDisputeJob } from './dispute-jobs';
import {
  ACCEPT_DISPUTE_JOB,
  DISPUTE_DEADLINE_JOB,
  DISPUTES_QUEUE,
  POLL_NETWORK_DISPUTES_JOB,
  SUBMIT_EVIDENCE_JOB,
} from './disputes.constants';
import { type DisputeJobOutcome, DisputesService } from './disputes.service';

// Outcomes that only a replayed job explains innocently are worth a warning: they are what a forged job gets.
const suspiciousOutcomes: ReadonlySet<string> = new Set(['unknown_dispute', 'wrong_merchant', 'no_evidence']);

/**
 * The disputes queue: the poll of the network's opened disputes, and each dispute's jobs (evidence, acceptance,
 * deadline). A network that cannot be reached throws, and BullMQ retries with backoff; a decision not made yet moves
 * the job to later instead of completing it.
 */
@Processor(DISPUTES_QUEUE)
export class DisputesProcessor extends GracefulWorkerHost {
  constructor(private readonly disputes: DisputesService) {
    super();
  }

  process(job: Job<unknown>, token?: string): Promise<Record<string, unknown>> {
    return this.inJobTrace(job, () => this.run(job, token));
  }

  private async run(job: Job<unknown>, token?: string): Promise<Record<string, unknown>> {
    if (job.name === POLL_NETWORK_DISPUTES_JOB) return this.disputes.recordOpenedDisputes();
    const parsed = parseDisputeJob(job.data);
    if (!parsed.valid) {
      this.workerLogger.warn({ jobId: job.id, jobName: job.name, reason: parsed.reason }, 'disputes job rejected');
      return { outcome: 'rejected' };
    }
    let result: DisputeJobOutcome;
    switch (job.name) {
      case SUBMIT_EVIDENCE_JOB:
        result = await this.disputes.sendEvidence(parsed.target);
        break;
      case ACCEPT_DISPUTE_JOB:
        result = await this.disputes.acceptAtNetwork(parsed.target);
        break;
      case DISPUTE_DEADLINE_JOB:
        result = await this.disputes.applyDeadline(parsed.target);
        break;
      default:
        throw new Error(`unknown disputes job ${job.name}`);
    }
    if (suspiciousOutcomes.has(result.outcome)) {
      this.workerLogger.warn(
        { jobId: job.id, jobName: job.name, disputeId: parsed.target.disputeId, outcome: result.outcome },
        'disputes job changed nothing',
      );
    }
    if ('retryInMs' in result && token !== undefined) {
      // Asked again later, as the same job: the network decides in its own time, and a deadline job run early waits.
      await job.moveToDelayed(Date.now() + result.retryInMs, token);
      throw new DelayedError();
    }
    return result;
  }
}
