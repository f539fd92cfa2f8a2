import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import type { DestinationStream, Logger } from 'pino';
import { AuthModule } from './auth/auth.module';
import { ConfigModule } from './config/config.module';
import type { AppConfigValues } from './config/config.schema';
import { DatabaseModule } from './database/database.module';
import { DisputesModule } from './disputes/disputes.module';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { EventsModule } from './events/events.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { LedgerHttpModule } from './ledger/ledger.module';
import { MaintenanceModule } from './maintenance/maintenance.module';
import { ApiKeysService } from './merchants/api-keys.service';
import { MerchantsHttpModule, MerchantsModule } from './merchants/merchants.module';
import { OutboxModule } from './outbox/outbox.module';
import { CachingModule } from './caching/caching.module';
import { CryptoModule } from './common/crypto/crypto.module';
import { MetricsModule, QueueMetricsModule } from './metrics/metrics.module';
import { PaymentsModule } from './payments/payments.module';
import { PayoutsModule } from './payouts/payouts.module';
import { ReconciliationModule } from './reconciliation/reconciliation.module';
import { SettlementModule } from './settlement/settlement.module';
import { RefundsModule } from './refunds/refunds.module';
import { VerificationHttpModule, VerificationModule } from './verification/verification.module';
import { QueueingModule } from './queueing/queueing.module';
import type { EventSubscription } from './events/event-subscribers';
import { webhookEventSubscription, WebhooksModule } from './webhooks/webhooks.module';

export interface AppModuleOptions {
  /** Where JSON log lines go (stdout when unset). */
  logStream?: DestinationStream;
  /** Extra modules mounted beside the built-in ones: the extension point for teams adding their own. */
  imports?: ModuleMetadata['imports'];
}

/** Every RabbitMQ subscription of the application: each role consumes its own, the publisher declares them all. */
export function eventSubscriptions(config: AppConfigValues): EventSubscription[] {
  return [webhookEventSubscription(config)];
}

@Module({})
export class AppModule {
  static register(config: AppConfigValues, rootLogger: Logger, options: AppModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(rootLogger),
        DatabaseModule,
        CryptoModule,
        MetricsModule,
        QueueingModule,
        CachingModule,
        AuthModule.forRoot({ imports: [MerchantsModule], apiKeyLookup: ApiKeysService }),
        HealthModule,
        IdempotencyModule,
        VerificationModule,
        EventsModule.register(config.role, eventSubscriptions(config)),
        OutboxModule,
        PaymentsModule.register(config.role),
        RefundsModule.register(config.role),
        PayoutsModule.register(config.role),
        ReconciliationModule.register(config.role),
        DisputesModule.register(config.role),
        SettlementModule.register(config.role),
        MaintenanceModule.register(config.role),
        QueueMetricsModule,
        WebhooksModule.register(config.role),
        ...(config.role === 'all' || config.role === 'api'
          ? [MerchantsHttpModule, LedgerHttpModule, VerificationHttpModule]
          : []),
        ...(options.imports ?? []),
      ],
    };
  }
}
