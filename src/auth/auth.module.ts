import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { MerchantsModule } from '../merchants/merchants.module';
import { MerchantRateLimitGuard } from '../rate-limit/merchant-rate-limit.guard';
import { AdminTokenAuthenticator } from './admin-token.authenticator';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { AuthenticationGuard } from './authentication.guard';

/**
 * Authentication of every HTTP route, and the merchant rate limit after it. Global guards run in the order they
 * are provided here: the rate limit needs the merchant the authentication found.
 */
@Module({
  imports: [MerchantsModule],
  providers: [
    ApiKeyAuthenticator,
    AdminTokenAuthenticator,
    { provide: APP_GUARD, useClass: AuthenticationGuard },
    { provide: APP_GUARD, useClass: MerchantRateLimitGuard },
  ],
})
export class AuthModule {}
