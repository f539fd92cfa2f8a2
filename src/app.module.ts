import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import type { DestinationStream, Logger } from 'pino';
import { ConfigModule } from './config/config.module';
import type { AppConfigValues } from './config/config.schema';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { QueueingModule } from './queueing/queueing.module';

export interface AppModuleOptions {
  /** Where JSON log lines go (stdout when unset). */
  logStream?: DestinationStream;
  /** Extra modules mounted beside the built-in ones: the extension point for teams adding their own. */
  imports?: ModuleMetadata['imports'];
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
        QueueingModule,
        HealthModule,
        ...(options.imports ?? []),
      ],
    };
  }
}
