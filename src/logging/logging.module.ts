import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';

@Module({})
export class LoggingModule {
  /** Nest's logger (nestjs-pino) on the process's root pino instance, so every line is JSON in one stream. */
  static forRoot(rootLogger: Logger): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger: rootLogger,
            // The one line per request is written by the HTTP layer's onResponse hook, with the matched route.
            autoLogging: false,
            quietReqLogger: true,
            customAttributeKeys: { reqId: 'request_id' },
          },
        }),
      ],
    };
  }
}
