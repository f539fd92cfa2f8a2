import { type DynamicModule, Module } from '@nestjs/common';
import type { AppRole } from '../config/config.schema';
import { PaymentCommandsModule } from '../payments/payments.module';
import { RefundsController } from './refunds.controller';
import { RefundsService } from './refunds.service';

/** Refunds of captured payments, through payments' commands. `api` and `all` serve the HTTP API. */
@Module({})
export class RefundsModule {
  static register(role: AppRole): DynamicModule {
    const serveHttp = role === 'all' || role === 'api';
    return {
      module: RefundsModule,
      imports: [PaymentCommandsModule],
      controllers: serveHttp ? [RefundsController] : [],
      providers: [RefundsService],
      exports: [RefundsService],
    };
  }
}
