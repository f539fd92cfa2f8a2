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
import { ApiErrorResponses, ApiObjectResponse } from '../openapi/api-responses';
import type { ListObject } from '../common/pagination';
import { type BalanceObject, balanceSchema, type LedgerEntryObject, ledgerEntryListSchema } from './ledger.presenter';

const listEntriesQuerySchema = z.strictObject({
  limit: listLimitSchema,
  starting_after: z
    .string()
    .refine((value) => isId('lp', value), { message: 'must be a ledger entry id (lp_…)' })
    .optional(),
});

@ApiTags('balance')
@ApiBearerAuth('secret_key')
@ApiErrorResponses(401, 429, 503)
@Controller('v1')
export class LedgerController {
  constructor(private readonly ledger: LedgerService) {}

  @Get('balance')
  @CachedRead(balanceCache, { id: currentBalanceId })
  @ApiObjectResponse(200, balanceSchema, 'The merchant’s balance per currency.')
  balance(@CurrentMerchant() merchantId: string): Promise<BalanceObject> {
    return this.ledger.balance(merchantId);
  }

  @Get('ledger/entries')
  @ApiObjectResponse(200, ledgerEntryListSchema, 'The merchant’s ledger lines, newest first.')
  @ApiErrorResponses(400)
  entries(
    @ValidQuery(listEntriesQuerySchema) query: z.output<typeof listEntriesQuerySchema>,
    @CurrentMerchant() merchantId: string,
  ): Promise<ListObject<LedgerEntryObject>> {
    return this.ledger.entries(merchantId, query);
  }
}
