import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AdminTokenAuthenticator } from './admin-token.authenticator';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import type { MerchantRequest } from './authenticated-request';
import { routeAccessOf } from '../http/route-access';

/**
 * The one authentication of every HTTP route (registered as APP_GUARD by AuthModule): a merchant's API key unless
 * the route says `@Public()` or `@Operator()`. It runs on every request, so the common case (a key this process
 * holds) answers without a promise.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly apiKeys: ApiKeyAuthenticator,
    private readonly adminToken: AdminTokenAuthenticator,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    // RabbitMQ subscribers are no HTTP routes: the broker authenticates its own connections.
    if (context.getType() !== 'http') return true;
    switch (routeAccessOf(context.getClass(), context.getHandler())) {
      case 'public':
        return true;
      case 'operator':
        return this.adminToken.authenticate(context.switchToHttp().getRequest<FastifyRequest>());
      case 'merchant':
        return this.apiKeys.authenticate(context.switchToHttp().getRequest<MerchantRequest>());
    }
  }
}
