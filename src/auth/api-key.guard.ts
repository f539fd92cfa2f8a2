import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { apiErrors } from '../common/errors/api-error';
import { MerchantsService } from '../merchants/merchants.service';
import { RateLimiter } from '../rate-limit/rate-limiter.service';
import type { AuthenticatedRequest } from './authenticated-request';

const bearerPattern = /^Bearer\s+(\S+)$/i;

/** Resolves the merchant of `Authorization: Bearer sk_test_…` for every merchant call. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly merchants: MerchantsService,
    private readonly rateLimiter: RateLimiter,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header) throw apiErrors.apiKeyMissing();
    const key = bearerPattern.exec(header)?.[1];
    if (!key) throw apiErrors.apiKeyInvalid();
    // Nearly every request: a key this process holds, answered at once (without a promise when not limiting).
    const atHand = this.merchants.merchantIdForApiKeyAtHand(key);
    if (atHand !== undefined) return this.admit(request, atHand);
    return this.lookUp(request, key);
  }

  private async lookUp(request: AuthenticatedRequest, key: string): Promise<boolean> {
    const merchantId = await this.merchants.merchantIdForApiKey(key);
    if (!merchantId) throw apiErrors.apiKeyInvalid();
    return this.admit(request, merchantId);
  }

  /** The merchant's request, counted against its rate limit (429 over it). */
  private admit(request: AuthenticatedRequest, merchantId: string): boolean | Promise<boolean> {
    request.merchantId = merchantId;
    if (!this.rateLimiter.enabled) return true;
    return this.rateLimiter.admit(merchantId).then(() => true);
  }
}
