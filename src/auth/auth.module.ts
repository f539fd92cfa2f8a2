import { type DynamicModule, Module, type ModuleMetadata, type Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { AdminTokenAuthenticator } from './admin-token.authenticator';
import { ApiKeyAuthenticator } from './api-key.authenticator';
import { ApiKeyLookup } from './api-key-lookup';
import { AuthenticationGuard } from './authentication.guard';
import { MerchantRateLimitGuard } from './merchant-rate-limit.guard';

export interface AuthModuleOptions {
  /** The module that provides `apiKeyLookup` (MerchantsModule in the application). */
  imports: NonNullable<ModuleMetadata['imports']>;
  /** The provider that finds a key's merchant (ApiKeysService in the application). */
  apiKeyLookup: Type<ApiKeyLookup>;
}

/**
 * Authentication of every HTTP route, and the merchant rate limit after it. Global guards run in the order they
 * are provided here: the rate limit needs the merchant the authentication found. The merchants feature comes in
 * through `forRoot` (the composition root names it), so auth imports no feature.
 */
@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions): DynamicModule {
    return {
      module: AuthModule,
      imports: [RateLimitModule, ...options.imports],
      providers: [
        { provide: ApiKeyLookup, useExisting: options.apiKeyLookup },
        ApiKeyAuthenticator,
        AdminTokenAuthenticator,
        { provide: APP_GUARD, useClass: AuthenticationGuard },
        { provide: APP_GUARD, useClass: MerchantRateLimitGuard },
      ],
    };
  }
}
