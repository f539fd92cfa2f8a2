import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import type { CacheFamily } from './cache-key';
import { CachedReadInterceptor } from './cached-read.interceptor';
import { cachedReadFamilyMetadata } from './caching.constants';

/**
 * Caches the JSON body of a GET handler per merchant under `family:merchantId:id`, `id` being the route's `:id`
 * parameter or 'current' when it has none. Invalidate with `HotCache.invalidate(family, merchantId, id)`.
 * For handlers that return JSON only: a stream or buffer is passed on uncached.
 */
export function CachedRead(family: CacheFamily): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(cachedReadFamilyMetadata, family), UseInterceptors(CachedReadInterceptor));
}
