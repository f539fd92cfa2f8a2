/**
 * Bench-only routes that serve `GET /v1/payments/:id` the other ways a Nest user would cache it, so that the
 * benchmark measures what `@CachedRead` saves (src/caching/cached-read.decorator.ts claims Nest's interceptor
 * pipeline costs more per request than the whole cache hit). Mounted into the bench app only, through
 * `AppModuleOptions.imports` (support/app-server.ts); behind the same global authentication as the real route
 * (no `@Public()`: a merchant's API key), with the same handler, service call and id pipe.
 *
 * - `GET /bench/intercepted-payments/:id`: `@UseInterceptors(CachedReadInterceptor)`, which does what the
 *   decorator does (same HotCache call, same family, same key, same content type) through Nest's interceptor API.
 *   The only difference from the real route is the seam. One consequence of it: Nest runs interceptors before
 *   pipes, so on a hit this route skips the id pipe and the parameter decorators the real route still runs.
 * - `GET /bench/stock-cached-payments/:id`: `@nestjs/cache-manager`'s own `CacheInterceptor` with `@CacheKey`
 *   and `@CacheTTL`, on a Keyv store of its own on the cache Redis. Not the same semantics: no generation guard
 *   (a load racing an invalidation can store the old body), nothing invalidates it, no single flight (every
 *   request on the same key is its own Redis GET), the body is parsed and serialized again on every hit, and the
 *   key is only merchant-scoped because the `@CacheKey` factory below says so (the default key is the URL).
 */
import KeyvRedis from '@keyv/redis';
import { CacheInterceptor, CacheKey, CacheModule, CacheTTL } from '@nestjs/cache-manager';
import {
  type CallHandler,
  Controller,
  type ExecutionContext,
  Get,
  Injectable,
  Module,
  type NestInterceptor,
  type OnModuleInit,
  UseInterceptors,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { Keyv } from 'keyv';
import { from, lastValueFrom, type Observable } from 'rxjs';
import type { MerchantRequest } from '../../src/auth/authenticated-request';
import { CurrentMerchant } from '../../src/auth/current-merchant.decorator';
import { isKeySegment } from '../../src/caching/cache-key';
import { HotCache } from '../../src/caching/hot-cache.service';
import { nestCacheStores } from '../../src/caching/cache-store';
import { ValidId } from '../../src/common/validation/valid-id.decorator';
import { AppConfig } from '../../src/config/app-config';
import { paymentCache } from '../../src/payments/payment-cache';
import { PaymentsService } from '../../src/payments/payments.service';

/** The paths of the seam routes, without the id: the benchmark appends the payment's. */
export const seamPaths = {
  intercepted: '/bench/intercepted-payments/',
  stockCacheInterceptor: '/bench/stock-cached-payments/',
} as const;

// What @CachedRead sets on a hit (Fastify then sends the JSON text as it is).
const jsonContentType = 'application/json; charset=utf-8';
// The payment family's own TTL (src/payments/payment-cache.ts), for the stock route's entries.
const stockTtlMs = paymentCache.ttlMs;

/** @CachedRead(paymentCache) as a Nest interceptor: the merchant from the guard, the id from the route. */
@Injectable()
export class CachedReadInterceptor implements NestInterceptor {
  constructor(private readonly cache: HotCache) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<MerchantRequest>();
    const merchantId = request.merchantId;
    const id = (request.params as Record<string, unknown> | undefined)?.id;
    // As the decorator: a scope or id that cannot be part of a key is served uncached rather than refused.
    if (!isKeySegment(merchantId) || !isKeySegment(id)) return next.handle();
    return from(this.serve(http.getResponse<FastifyReply>(), merchantId, id, next));
  }

  private async serve(reply: FastifyReply, merchantId: string, id: string, next: CallHandler): Promise<unknown> {
    const body = await this.cache.getOrLoadResponse(paymentCache, merchantId, id, () => lastValueFrom(next.handle()));
    if ('raw' in body) return body.raw;
    void reply.type(jsonContentType);
    return body.json;
  }
}

/** `payment:<merchant>:<id>`: without it CacheInterceptor keys by URL, and one merchant would read another's. */
function stockKeyOf(context: ExecutionContext): string {
  const request = context.switchToHttp().getRequest<MerchantRequest>();
  const id = (request.params as Record<string, unknown> | undefined)?.id;
  return `payment:${request.merchantId}:${String(id)}`;
}

/** PaymentsService is not exported to this module's importers; it is looked up once, not per request. */
@Injectable()
abstract class PaymentsLookup implements OnModuleInit {
  protected payments!: PaymentsService;

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    this.payments = this.moduleRef.get(PaymentsService, { strict: false });
  }
}

@Controller(seamPaths.intercepted.slice(1, -1))
export class InterceptedPaymentsController extends PaymentsLookup {
  @Get(':id')
  @UseInterceptors(CachedReadInterceptor)
  get(@ValidId('pay', 'payment') id: string, @CurrentMerchant() merchantId: string) {
    return this.payments.get(merchantId, id);
  }
}

@Controller(seamPaths.stockCacheInterceptor.slice(1, -1))
export class StockCachedPaymentsController extends PaymentsLookup {
  @Get(':id')
  @UseInterceptors(CacheInterceptor)
  @CacheKey(stockKeyOf)
  @CacheTTL(stockTtlMs)
  get(@ValidId('pay', 'payment') id: string, @CurrentMerchant() merchantId: string) {
    return this.payments.get(merchantId, id);
  }
}

@Module({
  imports: [
    // The stock route's cache: Keyv on the cache Redis, under the run's prefix (removed with its other keys).
    CacheModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        stores: nestCacheStores(
          new Keyv({
            store: new KeyvRedis(config.redis.cacheUrl),
            namespace: `${config.redis.queuePrefix}:bench-stock`,
          }),
        ),
      }),
    }),
  ],
  controllers: [InterceptedPaymentsController, StockCachedPaymentsController],
  providers: [CachedReadInterceptor],
})
export class SeamRoutesModule {}
