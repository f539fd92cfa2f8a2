import { Module } from '@nestjs/common';
import { AuthFailureLimiter } from './auth-failure-limiter.service';
import { RateLimiter } from './rate-limiter.service';

/** The per-merchant rate limit, checked by auth's MerchantRateLimitGuard on every merchant route, and the limit of
 * failed authentications per client address, checked when an API key or the admin token is (see AuthModule). */
@Module({ providers: [RateLimiter, AuthFailureLimiter], exports: [RateLimiter, AuthFailureLimiter] })
export class RateLimitModule {}
