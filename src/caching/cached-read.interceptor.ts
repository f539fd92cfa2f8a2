import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { lastValueFrom, type Observable, of } from 'rxjs';
import type { CacheFamily } from './cache-key';
import { cachedReadFamilyMetadata, currentResourceId } from './caching.constants';
import { HotCache } from './hot-cache.service';

/** What the bearer guard leaves on the request; absent on routes it does not guard. */
type MaybeAuthenticatedRequest = FastifyRequest & { merchantId?: unknown };

/**
 * Serves a @CachedRead GET handler from the cache: on a hit the handler does not run; on a miss it runs once per
 * key in this process (concurrent requests wait for that run) and its JSON body is cached, or its 404 briefly.
 * A request without a merchant, a method other than GET and any other error are never cached.
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
    if (family === undefined || request.method !== 'GET' || typeof merchantId !== 'string' || merchantId === '') {
      return next.handle();
    }
    const id = (request.params as Record<string, unknown> | undefined)?.id;
    const body = await this.cache.getOrLoadResponse(
      family,
      merchantId,
      typeof id === 'string' && id !== '' ? id : currentResourceId,
      () => lastValueFrom(next.handle()),
    );
    return of(body);
  }
}
