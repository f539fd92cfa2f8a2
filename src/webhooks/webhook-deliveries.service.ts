import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { Keyring } from '../common/crypto/keyring';
import { newId } from '../common/ids';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { webhookDeliveries, webhookEndpoints } from '../database/schema';
import type { EventObject } from '../events/event-types';
import { EventsService } from '../events/events.service';
import { endpointReceives } from './enabled-events';
import { openWebhookSecret } from './webhook-secret';
import type { WebhookAttempt } from './webhook-sender';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import {
  DELIVER_WEBHOOK_JOB,
  WEBHOOK_BACKOFF_TYPE,
  type WebhookDeliveryJobData,
  webhookDeliveryJobId,
  WEBHOOKS_QUEUE,
} from './webhooks.constants';
import { webhookLimits } from './webhooks.limits';

export interface DeliveryTarget {
  endpointId: string;
  url: string;
  /** The signing secret, opened for this attempt only: never cached, never in job data. */
  secret: string;
  event: EventObject;
}

/** What the message itself says of an event (its merchant header and type): enough to route it, never to act on. */
export interface FanOutHint {
  merchantId: string;
  type: string;
}

export type FanOutResult = { outcome: 'unknown_event' } | { outcome: 'enqueued'; deliveries: number };

/** The delivery side of webhooks: events become delivery jobs, and every attempt is recorded. */
@Injectable()
export class WebhookDeliveries {
  constructor(
    @InjectQueue(WEBHOOKS_QUEUE) private readonly queue: Queue<WebhookDeliveryJobData>,
    private readonly database: Database,
    private readonly events: EventsService,
    private readonly config: AppConfig,
    private readonly keyring: Keyring,
    private readonly endpoints: WebhookEndpointsService,
  ) {}

  /**
   * One job per endpoint of the event's merchant that wants its type, routed by the merchant's cached routes (no
   * endpoint query once cached, for a merchant without endpoints too). The jobId makes it idempotent: a message
   * RabbitMQ delivers again enqueues nothing new (while the first job is kept, see completedJobsKept*).
   */
  async fanOut(eventId: string, hint?: FanOutHint): Promise<FanOutResult> {
    // The message's merchant and type route it without reading the event back: a merchant without an endpoint
    // for the type (most events) costs no query. They are only a hint: what is delivered is checked against the
    // stored event first, and the delivery job reads it again.
    if (hint) {
      const hinted = await this.endpoints.routesOf(hint.merchantId);
      if (!hinted.some((endpoint) => endpointReceives(endpoint.enabledEvents, hint.type))) {
        return { outcome: 'enqueued', deliveries: 0 };
      }
    }
    const stored = await this.events.find(eventId);
    if (!stored) return { outcome: 'unknown_event' };
    const routes = await this.endpoints.routesOf(stored.merchantId);
    const receiving = routes.filter((endpoint) => endpointReceives(endpoint.enabledEvents, stored.event.type));
    if (receiving.length === 0) return { outcome: 'enqueued', deliveries: 0 };
    const { attemptsMax, retry } = this.config.webhooks;
    await this.queue.addBulk(
      receiving.map((endpoint) => ({
        name: DELIVER_WEBHOOK_JOB,
        data: { endpointId: endpoint.id, eventId, retry },
        opts: {
          jobId: webhookDeliveryJobId(endpoint.id, eventId),
          attempts: attemptsMax,
          backoff: { type: WEBHOOK_BACKOFF_TYPE },
          removeOnComplete: {
            age: webhookLimits.completedJobsKeptSeconds,
            count: webhookLimits.completedJobsKeptCount,
          },
          // After the last attempt the job stays failed: the dead letter, visible and retryable in the dashboard.
          removeOnFail: { count: this.config.deadLetterRetentionCount },
        },
      })),
    );
    return { outcome: 'enqueued', deliveries: receiving.length };
  }

  /** What to deliver, or undefined when the endpoint was deleted since (or never belonged to the event's merchant). */
  async target(job: Pick<WebhookDeliveryJobData, 'endpointId' | 'eventId'>): Promise<DeliveryTarget | undefined> {
    const [endpoint] = await this.database.db
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.id, job.endpointId), isNull(webhookEndpoints.deletedAt)))
      .limit(1);
    const stored = endpoint ? await this.events.find(job.eventId) : undefined;
    if (!endpoint || !stored || stored.merchantId !== endpoint.merchantId) return undefined;
    return { endpointId: endpoint.id, url: endpoint.url, secret: this.signingSecret(endpoint), event: stored.event };
  }

  /**
   * A clear secret is still read: a row written by an older process during a rolling deploy, until the next
   * start seals it. A secret that cannot be opened throws (KeyringError, no data), and the attempt fails.
   */
  private signingSecret(endpoint: typeof webhookEndpoints.$inferSelect): string {
    if (endpoint.secretSealed !== null) return openWebhookSecret(this.keyring, endpoint.id, endpoint.secretSealed);
    if (endpoint.secret !== null) return endpoint.secret;
    throw new Error(`webhook endpoint ${endpoint.id} has no signing secret`);
  }

  /** Numbers attempts per endpoint and event across retries, operator retries included. */
  async recordAttempt(target: DeliveryTarget, attempt: WebhookAttempt): Promise<number> {
    const [row] = await this.database.db
      .insert(webhookDeliveries)
      .values({
        id: newId('whd'),
        endpointId: target.endpointId,
        eventId: target.event.id,
        eventType: target.event.type,
        attempt: sql`(SELECT count(*) + 1 FROM webhook_deliveries
          WHERE endpoint_id = ${target.endpointId} AND event_id = ${target.event.id})::int`,
        statusCode: attempt.statusCode,
        error: attempt.error,
        durationMs: attempt.durationMs,
      })
      .returning({ attempt: webhookDeliveries.attempt });
    return row!.attempt;
  }
}
