import { BullBoardModule } from '@bull-board/nestjs';
import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { dashboardHandlerHooks } from './dashboard-actions';
import { LocalDashboardAdapter } from './dashboard-adapter';
import { dashboardRoute } from './dashboard-auth';
import { QueueRegistry } from './queue-registry';

/**
 * The BullMQ connection to the queue Redis, configured once, the Bull Board dashboard, and the registry of the
 * queues this process declared. Feature modules declare each queue they own with `defineQueue` (declared-queue.ts).
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // BullMQ's blocking commands require maxRetriesPerRequest: null on its connections.
        connection: { url: config.redis.url, maxRetriesPerRequest: null },
        prefix: config.redis.queuePrefix,
      }),
    }),
    // Authentication is a Fastify hook on the matched route (see dashboard-auth.ts), not a middleware here; what an
    // authenticated operator may do is decided by dashboardHandlerHooks (read everything, retry failed jobs). The
    // adapter serves Bull Board's page without its Google Fonts stylesheet (dashboard-adapter.ts).
    BullBoardModule.forRoot({
      route: dashboardRoute,
      adapter: LocalDashboardAdapter,
      boardOptions: { handlerHooks: dashboardHandlerHooks },
    }),
  ],
  providers: [QueueRegistry],
  exports: [BullModule, QueueRegistry],
})
export class QueueingModule {}
