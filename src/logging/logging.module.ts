import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';

@Module({})
export class LoggingModule {
  /**
   * Nest's logger (nestjs-pino) on the process's root pino instance, so every line is JSON in one stream.
   *
   * It mounts no middleware (`forRoutes: []`). nestjs-pino's default one (pino-http on every route, to give Nest's
   * lines inside a request that request's logger) matched no route of this Fastify app, so those lines never
   * carried a request id, while the middleware engine still ran on every request (about 3 % of the app's CPU on a
   * cached GET). A line that belongs to a request is written through Fastify's `request.log`, which carries its
   * `request_id` (RequestLogController names the field).
   */
  static forRoot(rootLogger: Logger): DynamicModule {
    return {
      module: LoggingModule,
      imports: [LoggerModule.forRoot({ pinoHttp: { logger: rootLogger, autoLogging: false }, forRoutes: [] })],
    };
  }
}
