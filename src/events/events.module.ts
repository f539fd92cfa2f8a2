import { type DynamicModule, Module, type OnModuleInit } from '@nestjs/common';
import { ClientsModule } from '@nestjs/microservices';
import { AppConfig } from '../config/app-config';
import type { AppRole } from '../config/config.schema';
import { OutboxRelay } from '../outbox/outbox.relay';
import { EventPublisher } from './event-publisher';
import type { EventSubscription } from './event-subscribers';
import { EventsClient, type EventsClientOptions } from './events-client';
import { EVENT_PUBLISH_TOPIC, EVENT_SUBSCRIPTIONS, EVENTS_CLIENT } from './events.constants';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';
import { rmqPublisherOptions } from './rmq.options';
import { SubscriberQueuesAtStart } from './subscriber-queues';

/**
 * Event records and their publication: `GET /v1/events` in the roles that serve HTTP, and the relay dispatcher
 * that publishes each recorded event to RabbitMQ (it only runs where the relay runs: `relay` and `all`; the
 * client connects on first use, so other roles never open a RabbitMQ connection for it); in every role but `api`,
 * the subscriber queues declared once at start (SubscriberQueuesAtStart), which stops on a queue of the wrong type.
 */
@Module({})
export class EventsModule implements OnModuleInit {
  constructor(
    private readonly relay: OutboxRelay,
    private readonly publisher: EventPublisher,
  ) {}

  /** `subscriptions`: every RabbitMQ subscription of the application, declared by the publisher (EventsClient). */
  static register(role: AppRole, subscriptions: readonly EventSubscription[]): DynamicModule {
    const serveHttp = role === 'all' || role === 'api';
    return {
      module: EventsModule,
      global: true,
      imports: [
        ClientsModule.registerAsync([
          {
            name: EVENTS_CLIENT,
            inject: [AppConfig],
            useFactory: (config: AppConfig) => {
              const options: EventsClientOptions = {
                rmq: rmqPublisherOptions(config).options ?? {},
                subscriptions,
                queueType: config.rabbitmq.queueType,
              };
              return { customClass: EventsClient, options };
            },
          },
        ]),
      ],
      controllers: serveHttp ? [EventsController] : [],
      providers: [
        EventsService,
        EventPublisher,
        { provide: EVENT_SUBSCRIPTIONS, useValue: subscriptions },
        // Every role but `api` declares subscriber queues: the relay publishes to them, workers consume them.
        ...(role === 'api' ? [] : [SubscriberQueuesAtStart]),
      ],
      exports: [EventsService],
    };
  }

  onModuleInit(): void {
    this.relay.register(EVENT_PUBLISH_TOPIC, (messages, batch) => this.publisher.dispatchBatch(messages, batch));
  }
}
