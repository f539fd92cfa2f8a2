import { Global, Module } from '@nestjs/common';
import { AuthFailureLimiter } from './auth-failure-limiter.service';
import { RateLimiter } from './rate-limiter.service';

/** The per-merchant rate limit, checked by the bearer guard (ApiKeyGuard) of every merchant route, and the limit
 * of failed authentications per client address, checked by both guards (ApiKeyGuard, AdminTokenGuard). */
@Global()
@Module({ providers: [RateLimiter, AuthFailureLimiter], exports: [RateLimiter, AuthFailureLimiter] })
export class RateLimitModule {}
