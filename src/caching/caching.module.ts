import { CacheModule } from '@nestjs/cache-manager';
import { Global, Logger, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { connectCacheStore, nestCacheStores } from './cache-store';
import { HotCache } from './hot-cache.service';

/**
 * Hot reads cached on the cache Redis (CACHE_REDIS_URL or CACHE_REDIS_CLUSTER_NODES), every key under `${QUEUE_PREFIX}:cache:` so deployments
 * and test runs can share a server. Global, as infrastructure: any feature's service injects HotCache to read
 * through it and invalidate after its commits, and @CachedRead injects it into any feature's controller.
 */
@Global()
@Module({
  imports: [
    CacheModule.registerAsync({
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => ({
        stores: nestCacheStores(
          await connectCacheStore(
            config.redis.cache,
            config.redis.queuePrefix,
            new Logger('Caching'),
            config.redis.cacheCommandTimeoutMs,
          ),
        ),
      }),
    }),
  ],
  providers: [HotCache],
  exports: [HotCache],
})
export class CachingModule {}
