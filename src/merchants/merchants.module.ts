import { Module } from '@nestjs/common';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysService } from './api-keys.service';
import { MerchantsController } from './merchants.controller';
import { MerchantsService } from './merchants.service';

@Module({
  providers: [MerchantsService, ApiKeysService],
  exports: [MerchantsService, ApiKeysService],
})
export class MerchantsModule {}

/** The operator's HTTP API, mounted only in the roles that serve HTTP. */
@Module({
  imports: [MerchantsModule],
  controllers: [MerchantsController, ApiKeysController],
})
export class MerchantsHttpModule {}
