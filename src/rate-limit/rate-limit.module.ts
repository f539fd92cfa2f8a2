import { Global, Module } from '@nestjs/common';
import { RateLimiter } from './rate-limiter.service';

/** The per-merchant rate limit, checked by the bearer guard (ApiKeyGuard) of every merchant route. */
@Global()
@Module({ providers: [RateLimiter], exports: [RateLimiter] })
export class RateLimitModule {}
