import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { lastValueFrom, type Observable, of } from 'rxjs';
import { type CacheFamily, isKeySegment } from './cache-key';
import { cachedReadFamilyMetadata, cachedReadIdCheckMetadata, currentResourceId } from './caching.constants';
import { HotCache } from './hot-cache.service';

/** What the bearer guard leaves on the request; absent on routes it does not guard. */
type MaybeAuthenticatedRequest = FastifyRequest & { merchantId?: unknown };

/**
 * Serves a @CachedRead GET handler from the cache: on a hit the handler does not run; on a miss it runs once per
 * key in this process (concurrent requests wait for that run) and its JSON body is cached, or its 404 briefly.
 * A request without a merchant, a method other than GET and any other error are never cached. The query string is
 * not part of the key: use it on routes whose body depends on the merchant and `:id` alone.
 */
@Injectable()
export class CachedReadInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly cache: HotCache,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const family = this.reflector.getAllAndOverride<CacheFamily | undefined>(cachedReadFamilyMetadata, [
      context.getHandler(),
      context.getClass(),
    ]);
    const request = context.switchToHttp().getRequest<MaybeAuthenticatedRequest>();
    const merchantId = request.merchantId;
    const params = request.params as Record<string, unknown> | undefined;
    const id = params?.id === undefined ? currentResourceId : params.id;
    // Interceptors run before validation pipes: an id that cannot be a key is left to the handler to reject.
    if (family === undefined || request.method !== 'GET' || !isKeySegment(merchantId) || !isKeySegment(id)) {
      return next.handle();
    }
    const isWellFormedId = this.reflector.get<((id: string) => boolean) | undefined>(
      cachedReadIdCheckMetadata,
      context.getHandler(),
    );
    if (params?.id !== undefined && isWellFormedId && !isWellFormedId(id)) return next.handle();
    const body = await this.cache.getOrLoadResponse(family, merchantId, id, () => lastValueFrom(next.handle()));
    return of(body);
  }
}
