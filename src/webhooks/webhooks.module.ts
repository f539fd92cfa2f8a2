import { type DynamicModule, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { Keyring } from '../common/crypto/keyring';
import type { AppConfig } from '../config/app-config';
import type { AppRole } from '../config/config.schema';
import type { EventSubscription } from '../events/event-subscribers';
import { defineQueue } from '../queueing/declared-queue';
import { runsWorkers, workerRoles } from '../queueing/queue-declaration';
import { WebhookDeliveries } from './webhook-deliveries.service';
import { WebhookDeliveryProcessor } from './webhook-delivery.processor';
import { WebhookEndpointsController } from './webhook-endpoints.controller';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookEventsController } from './webhook-events.controller';
import { WEBHOOK_EVENTS_PATTERN, WEBHOOK_EVENTS_TRANSPORT, WEBHOOKS_QUEUE } from './webhooks.constants';

/** The webhook fan-out consumes events from RabbitMQ on its own queue, in the roles that run workers. */
export function webhookEventSubscription(config: AppConfig): EventSubscription {
  return {
    transport: WEBHOOK_EVENTS_TRANSPORT,
    queue: config.webhooks.eventsQueue,
    patterns: [WEBHOOK_EVENTS_PATTERN],
    roles: workerRoles,
  };
}

/**
 * Delivery jobs are added by WebhookDeliveries.fanOut (one per endpoint and event, with the retry schedule of the
 * configuration) and retried on the webhook schedule by the processor's backoff strategy.
 */
export const webhooksQueue = defineQueue({ name: WEBHOOKS_QUEUE, processor: WebhookDeliveryProcessor });

/**
 * Webhook endpoints over HTTP (`api`, `all`); the RabbitMQ fan-out and the delivery processor (`worker`, `all`).
 * The queue is registered in every role, so the dashboard shows it wherever it is served.
 */
@Module({})
export class WebhooksModule implements OnApplicationBootstrap {
  private readonly logger = new Logger(WebhooksModule.name);

  constructor(
    private readonly endpoints: WebhookEndpointsService,
    private readonly keyring: Keyring,
  ) {}

  /**
   * Every role, at every start: no signing secret stays in the clear once a process of this version has run, and
   * none stays under a key rotated out of CARD_VAULT_KEY.
   */
  async onApplicationBootstrap(): Promise<void> {
    const { sealed, unopenable } = await this.endpoints.sealSecretsUnderCurrentKey();
    if (sealed > 0) this.logger.log({ sealed }, 'sealed webhook signing secrets under the current key');
    if (unopenable > 0) {
      this.logger.error(
        { unopenable, configuredKeyIds: this.keyring.keyIds },
        'webhook signing secrets sealed under a key that is no longer configured: their deliveries fail',
      );
    }
  }

  static register(role: AppRole): DynamicModule {
    const serveHttp = role === 'all' || role === 'api';
    const runWorker = runsWorkers(role);
    return webhooksQueue.mount(role, {
      module: WebhooksModule,
      controllers: [
        ...(serveHttp ? [WebhookEndpointsController] : []),
        ...(runWorker ? [WebhookEventsController] : []),
      ],
      providers: [WebhookEndpointsService, WebhookDeliveries],
    });
  }
}
