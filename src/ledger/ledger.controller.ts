import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentMerchant } from '../auth/current-merchant.decorator';
import { isId } from '../common/ids';
import { ValidQuery } from '../common/validation/validated.decorators';
import { listLimitSchema } from '../common/validation/list-query';
import { LedgerService } from './ledger.service';
import { CachedRead } from '../caching/cached-read.decorator';
import { balanceCache, currentBalanceId } from './balance-cache';

const listEntriesQuerySchema = z.strictObject({
  limit: listLimitSchema,
  starting_after: z
    .string()
    .refine((value) => isId('lp', value), { message: 'must be a ledger entry id (lp_…)' })
    .optional(),
});

@ApiTags('balance')
@ApiBearerAuth('secret_key')
@Controller('v1')
export class LedgerController {
  constructor(private readonly ledger: LedgerService) {}

  @Get('balance')
  @CachedRead(balanceCache, { id: currentBalanceId })
  balance(@CurrentMerchant() merchantId: string) {
    return this.ledger.balance(merchantId);
  }

  @Get('ledger/entries')
  entries(
    @ValidQuery(listEntriesQuerySchema) query: z.output<typeof listEntriesQuerySchema>,
    @CurrentMerchant() merchantId: string,
  ) {
    return this.ledger.entries(merchantId, query);
  }
}
