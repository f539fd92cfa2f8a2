import { Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { apiErrors } from '../common/errors/api-error';
import { AppConfig } from '../config/app-config';
import { AuthFailureLimiter } from '../rate-limit/auth-failure-limiter.service';
import { secretsEqual } from '../common/crypto/secret-hash';

/**
 * Operator calls (`@Operator()` routes, `/v1/admin/*`) carry `X-Admin-Token: <ADMIN_TOKEN>`. An address over its
 * limit of failed authentications is refused (429) before its token is compared; each wrong or missing token counts
 * toward it.
 */
@Injectable()
export class AdminTokenAuthenticator {
  constructor(
    private readonly config: AppConfig,
    private readonly authFailures: AuthFailureLimiter,
  ) {}

  /** True for the operator, else throws the 401 (or the 429 when the address is over its limit). */
  authenticate(request: FastifyRequest): true | Promise<true> {
    if (!this.authFailures.enabled) {
      if (!this.tokenValid(request)) throw apiErrors.adminTokenInvalid();
      return true;
    }
    return this.limitedCheck(request);
  }

  private async limitedCheck(request: FastifyRequest): Promise<true> {
    await this.authFailures.refuseIfOver(request.ip);
    if (this.tokenValid(request)) return true;
    await this.authFailures.countFailure(request.ip);
    throw apiErrors.adminTokenInvalid();
  }

  private tokenValid(request: FastifyRequest): boolean {
    const token = request.headers['x-admin-token'];
    return typeof token === 'string' && secretsEqual(token, this.config.adminToken);
  }
}
