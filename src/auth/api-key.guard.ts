import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { apiErrors } from '../common/errors/api-error';
import { MerchantsService } from '../merchants/merchants.service';
import type { AuthenticatedRequest } from './authenticated-request';

const bearerPattern = /^Bearer\s+(\S+)$/i;

/** Resolves the merchant of `Authorization: Bearer sk_test_…` for every merchant call. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(private readonly merchants: MerchantsService) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header) throw apiErrors.apiKeyMissing();
    const key = bearerPattern.exec(header)?.[1];
    if (!key) throw apiErrors.apiKeyInvalid();
    // Nearly every request: a key this process holds, answered at once, without a promise.
    const atHand = this.merchants.merchantIdForApiKeyAtHand(key);
    if (atHand !== undefined) {
      request.merchantId = atHand;
      return true;
    }
    return this.lookUp(request, key);
  }

  private async lookUp(request: AuthenticatedRequest, key: string): Promise<boolean> {
    const merchantId = await this.merchants.merchantIdForApiKey(key);
    if (!merchantId) throw apiErrors.apiKeyInvalid();
    request.merchantId = merchantId;
    return true;
  }
}
