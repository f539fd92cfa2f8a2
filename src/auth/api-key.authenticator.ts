import { Injectable } from '@nestjs/common';
import { type ApiError, apiErrors } from '../common/errors/api-error';
import { AuthFailureLimiter } from '../rate-limit/auth-failure-limiter.service';
import { apiKeyShapeOf } from './api-key-format';
import { ApiKeyLookup } from './api-key-lookup';
import type { MerchantRequest } from './authenticated-request';

const bearerPattern = /^Bearer\s+(\S+)$/i;

/**
 * Resolves the merchant of `Authorization: Bearer sk_test_…` for every merchant call. An address over its limit of
 * failed authentications is refused (429) before its key is checked; each failure counts toward that limit.
 */
@Injectable()
export class ApiKeyAuthenticator {
  constructor(
    private readonly apiKeys: ApiKeyLookup,
    private readonly authFailures: AuthFailureLimiter,
  ) {}

  /** Sets `request.merchantId` and returns true, else throws the 401 (or the 429 when the address is over its limit). */
  authenticate(request: MerchantRequest): true | Promise<true> {
    if (this.authFailures.enabled) this.authFailures.refuseIfKnownOver(request.ip);
    const header = request.headers.authorization;
    if (!header) return this.refuse(request, apiErrors.apiKeyMissing());
    const key = bearerPattern.exec(header)?.[1];
    if (!key) return this.refuse(request, apiErrors.apiKeyInvalid());
    // Nearly every request: a key this process holds, answered at once, without a promise.
    const atHand = this.apiKeys.merchantIdForApiKeyAtHand(key);
    if (atHand !== undefined) {
      request.merchantId = atHand;
      return true;
    }
    // A mistyped or made-up key fails its checksum: refused from its text, without touching Redis or PostgreSQL.
    if (apiKeyShapeOf(key) === 'malformed') return this.refuse(request, apiErrors.apiKeyInvalid());
    return this.lookUp(request, key);
  }

  private async lookUp(request: MerchantRequest, key: string): Promise<true> {
    if (this.authFailures.enabled) await this.authFailures.refuseIfOver(request.ip);
    const merchantId = await this.apiKeys.merchantIdForApiKey(key);
    if (!merchantId) return this.refuse(request, apiErrors.apiKeyInvalid());
    request.merchantId = merchantId;
    return true;
  }

  /** Counts the failure against the client's address, then throws `error` (or the 429 when over the limit). */
  private async refuse(request: MerchantRequest, error: ApiError): Promise<never> {
    if (this.authFailures.enabled) await this.authFailures.countFailure(request.ip);
    throw error;
  }
}
