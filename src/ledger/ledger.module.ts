import { Global, Module } from '@nestjs/common';
import { LedgerAdminController, LedgerController } from './ledger.controller';
import { LedgerMetrics } from './ledger.metrics';
import { LedgerVerifier } from './ledger-verifier.service';
import { LedgerService } from './ledger.service';

@Global()
@Module({ providers: [LedgerService, LedgerVerifier, LedgerMetrics], exports: [LedgerService, LedgerVerifier] })
export class LedgerModule {}

/** Balance, ledger entries and the verifier over HTTP, mounted only in the roles that serve HTTP. */
@Module({ controllers: [LedgerController, LedgerAdminController] })
export class LedgerHttpModule {}
