import { Module } from '@nestjs/common';
import { LedgerController } from './ledger.controller';
import { LedgerService } from './ledger.service';

/** Records ledger transactions (LedgerService); the modules that record or read the ledger import it. */
@Module({ providers: [LedgerService], exports: [LedgerService] })
export class LedgerModule {}

/** Balance and ledger entries over HTTP, mounted only in the roles that serve HTTP. */
@Module({ imports: [LedgerModule], controllers: [LedgerController] })
export class LedgerHttpModule {}
