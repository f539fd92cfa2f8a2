import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { MerchantRequest } from './authenticated-request';
import { RateLimiter } from '../rate-limit/rate-limiter.service';

/**
 * API.md's per-merchant rate limit on every request made with a merchant's key (429 `rate_limited` over it).
 * Registered after the authentication guard, which names the merchant; public and operator routes have none and
 * are not limited here.
 */
@Injectable()
export class MerchantRateLimitGuard implements CanActivate {
  constructor(private readonly rateLimiter: RateLimiter) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (!this.rateLimiter.enabled || context.getType() !== 'http') return true;
    const { merchantId } = context.switchToHttp().getRequest<MerchantRequest>();
    if (merchantId === undefined) return true;
    return this.rateLimiter.admit(merchantId).then(() => true);
  }
}
