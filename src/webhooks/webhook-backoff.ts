import type { BackoffStrategy } from 'bullmq';
import { type RetryBackoff, webhookRetryDelayMs } from './retry-schedule';
import type { WebhookDeliveryJobData } from './webhooks.constants';
import { fallbackRetryBackoff } from './webhooks.limits';

function isRetryBackoff(value: unknown): value is RetryBackoff {
  const candidate = value as Partial<RetryBackoff> | undefined;
  return (
    Number.isSafeInteger(candidate?.baseDelayMs) &&
    Number.isSafeInteger(candidate?.maxDelayMs) &&
    candidate!.baseDelayMs! >= 0 &&
    candidate!.maxDelayMs! >= candidate!.baseDelayMs!
  );
}

/**
 * BullMQ custom backoff of delivery jobs: exponential with equal jitter (retry-schedule.ts), on the schedule the
 * job carries. A worker's options are fixed when its class is decorated, so the configured schedule travels
 * with the job rather than with the worker; it also keeps a delivery on the schedule it started with.
 */
export const webhookBackoffStrategy: BackoffStrategy = (attemptsMade, _type, _error, job) => {
  const carried = (job?.data as Partial<WebhookDeliveryJobData> | undefined)?.retry;
  return webhookRetryDelayMs(Math.max(1, attemptsMade), isRetryBackoff(carried) ? carried : fallbackRetryBackoff);
};
