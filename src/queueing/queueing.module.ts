import { BullBoardModule } from '@bull-board/nestjs';
import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { BullMQOtel } from 'bullmq-otel';
import { AppConfig } from '../config/app-config';
import { isTracingOn } from '../telemetry/trace-context';
import { dashboardHandlerHooks } from './dashboard-actions';
import { LocalDashboardAdapter } from './dashboard-adapter';
import { dashboardRoute } from './dashboard-auth';
import { QueueRegistry } from './queue-registry';
import { QueueRedis, queueKeyPrefix } from './queue-redis';

/** The queue Redis connection, in a module of its own so that BullModule's factory can inject it. */
@Module({ providers: [QueueRedis], exports: [QueueRedis] })
class QueueRedisModule {}

/**
 * The BullMQ connection to the queue Redis (one server or a Redis Cluster), configured once, the Bull Board dashboard, and the registry of the
 * queues this process declared. Feature modules declare each queue they own with `defineQueue` (declared-queue.ts).
 */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      imports: [QueueRedisModule],
      inject: [AppConfig, QueueRedis],
      useFactory: (config: AppConfig, redis: QueueRedis) => ({
        connection: redis.connection,
        prefix: queueKeyPrefix(config.redis.queuePrefix, config.redis.queue),
        // BullMQ's own spans (add, addBulk, process), with the job's trace context in its options, when tracing is on.
        ...(isTracingOn() ? { telemetry: new BullMQOtel({ tracerName: 'bullmq' }) } : {}),
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
