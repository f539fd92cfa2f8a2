import { OnWorkerEvent, Processor } from '@nestjs/bullmq';
import { Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Job } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { GracefulWorkerHost } from '../queueing/graceful-worker-host';
import { webhookBackoffStrategy } from './webhook-backoff';
import { WebhookDeliveries } from './webhook-deliveries.service';
import { sendWebhook } from './webhook-sender';
import { signWebhookPayload } from './webhook-signature';
import { DELIVER_WEBHOOK_JOB, type WebhookDeliveryJobData, WEBHOOKS_QUEUE } from './webhooks.constants';

export class WebhookDeliveryFailed extends Error {
  override readonly name = 'WebhookDeliveryFailed';
}

/**
 * Delivers one event to one endpoint per job: the event object as JSON, signed (Payments-Signature). A failed
 * attempt throws, and BullMQ retries it on the webhook schedule (webhookBackoffStrategy); after the last attempt
 * the job stays failed, the dead letter an operator can retry from the dashboard.
 */
@Processor(WEBHOOKS_QUEUE, { settings: { backoffStrategy: webhookBackoffStrategy } })
export class WebhookDeliveryProcessor extends GracefulWorkerHost implements OnApplicationBootstrap {
  private readonly logger = new Logger(WebhookDeliveryProcessor.name);

  constructor(
    private readonly deliveries: WebhookDeliveries,
    private readonly config: AppConfig,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    this.worker.concurrency = this.config.webhooks.workerConcurrency;
  }

  process(job: Job<WebhookDeliveryJobData>): Promise<{ outcome: string; status_code?: number | null }> {
    return this.inJobTrace(job, () => this.deliver(job));
  }

  private async deliver(job: Job<WebhookDeliveryJobData>): Promise<{ outcome: string; status_code?: number | null }> {
    if (job.name !== DELIVER_WEBHOOK_JOB) throw new Error(`unknown job ${job.name} on ${WEBHOOKS_QUEUE}`);
    const target = await this.deliveries.target(job.data);
    if (!target) return { outcome: 'endpoint_deleted' };
    // Serialized once per attempt and sent exactly as signed: the receiver verifies these bytes.
    const body = JSON.stringify(target.event);
    const signatureHeader = signWebhookPayload(target.secret, body, Math.floor(Date.now() / 1000));
    const attempt = await sendWebhook({
      url: target.url,
      body,
      signatureHeader,
      timeoutMs: this.config.webhooks.timeoutMs,
      production: this.config.production,
    });
    await this.deliveries.recordAttempt(target, attempt);
    if (!attempt.succeeded) {
      throw new WebhookDeliveryFailed(attempt.error ?? `the endpoint answered HTTP ${attempt.statusCode}`);
    }
    return { outcome: 'delivered', status_code: attempt.statusCode };
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<WebhookDeliveryJobData> | undefined, error: Error): void {
    const final = job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1);
    const details = {
      jobId: job?.id,
      eventId: job?.data.eventId,
      attemptsMade: job?.attemptsMade,
      reason: error.message,
      // Set by BullMQ from the backoff strategy when it moved the job to delayed.
      ...(final ? {} : { retryInMs: job?.delay }),
    };
    if (final) this.logger.warn(details, 'webhook delivery dead-lettered after its last attempt');
    else this.logger.log(details, 'webhook delivery attempt failed; retrying');
  }
}
