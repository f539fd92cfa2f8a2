import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { Keyring } from './keyring';

/** One keyring for the application, from CARD_VAULT_KEY (seals) and CARD_VAULT_PREVIOUS_KEYS (still open). */
@Global()
@Module({
  providers: [
    {
      provide: Keyring,
      useFactory: (config: AppConfig) => new Keyring(config.cardVaultKey, config.cardVaultPreviousKeys),
      inject: [AppConfig],
    },
  ],
  exports: [Keyring],
})
export class CryptoModule {}
