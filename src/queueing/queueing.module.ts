import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';

/** The BullMQ connection to the queue Redis, configured once; feature modules call `BullModule.registerQueue`. */
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
  ],
  exports: [BullModule],
})
export class QueueingModule {}
