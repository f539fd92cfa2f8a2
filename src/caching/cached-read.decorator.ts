import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import type { CacheFamily } from './cache-key';
import { CachedReadInterceptor } from './cached-read.interceptor';
import { cachedReadFamilyMetadata, cachedReadIdCheckMetadata } from './caching.constants';

/**
 * Caches the JSON body of a GET handler per merchant under `family:merchantId:id`, `id` being the route's `:id`
 * parameter or 'current' when it has none. Invalidate with `HotCache.invalidate(family, merchantId, id)`.
 * With `isWellFormedId`, an id of the wrong format skips the cache entirely (the handler rejects it, with no
 * lookup anywhere). For handlers that return JSON only: a stream or buffer is passed on uncached.
 */
export function CachedRead(
  family: CacheFamily,
  isWellFormedId?: (id: string) => boolean,
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(cachedReadFamilyMetadata, family),
    SetMetadata(cachedReadIdCheckMetadata, isWellFormedId),
    UseInterceptors(CachedReadInterceptor),
  );
}
