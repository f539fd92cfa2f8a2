import { CacheModule } from '@nestjs/cache-manager';
import { Global, Logger, Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { connectCacheStore } from './cache-store';
import { CachedReads } from './cached-reads.service';
import { HotCache } from './hot-cache.service';

/**
 * Hot reads cached on the cache Redis (CACHE_REDIS_URL), every key under `${QUEUE_PREFIX}:cache:` so deployments
 * and test runs can share a server. Global: any module injects HotCache and CachedReads.
 */
@Global()
@Module({
  imports: [
    CacheModule.registerAsync({
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => ({
        stores: [await connectCacheStore(config.redis.cacheUrl, config.redis.queuePrefix, new Logger('Caching'))],
      }),
    }),
  ],
  providers: [HotCache, CachedReads],
  exports: [HotCache, CachedReads],
})
export class CachingModule {}
