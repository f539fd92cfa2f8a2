import { Module } from '@nestjs/common';
import { AdminTokenGuard } from '../auth/admin-token.guard';
import { MerchantsController } from './merchants.controller';
import { MerchantsService } from './merchants.service';

@Module({ providers: [MerchantsService, AdminTokenGuard], exports: [MerchantsService] })
export class MerchantsModule {}

/** The operator's HTTP API, mounted only in the roles that serve HTTP. */
@Module({ imports: [MerchantsModule], controllers: [MerchantsController], providers: [AdminTokenGuard] })
export class MerchantsHttpModule {}
