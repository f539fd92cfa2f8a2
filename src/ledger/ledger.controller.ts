import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiBearerAuth, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { CurrentMerchant } from '../auth/current-merchant.decorator';
import { Operator } from '../auth/route-access';
import { isId } from '../common/ids';
import { ValidQuery } from '../common/validation/validated.decorators';
import { listLimitSchema } from '../payments/payment.schemas';
import { LedgerVerifier } from './ledger-verifier.service';
import { LedgerService } from './ledger.service';
import { CachedReads } from '../caching/cached-reads.service';
import { currentResourceId } from '../caching/caching.constants';

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
  constructor(
    private readonly ledger: LedgerService,
    private readonly cachedReads: CachedReads,
  ) {}

  @Get('balance')
  balance(@CurrentMerchant() merchantId: string, @Res({ passthrough: true }) reply: FastifyReply): Promise<unknown> {
    return this.cachedReads.serve(reply, 'balance', merchantId, currentResourceId, () =>
      this.ledger.balance(merchantId),
    );
  }

  @Get('ledger/entries')
  entries(
    @ValidQuery(listEntriesQuerySchema) query: z.output<typeof listEntriesQuerySchema>,
    @CurrentMerchant() merchantId: string,
  ) {
    return this.ledger.entries(merchantId, query);
  }
}

@ApiTags('operator')
@ApiSecurity('admin_token')
@Operator()
@Controller('v1/admin/ledger')
export class LedgerAdminController {
  constructor(private readonly verifier: LedgerVerifier) {}

  /** Proves the whole ledger now: balanced transactions, kept balances, and payment and refund amounts. */
  @Get('verify')
  verify() {
    return this.verifier.verify();
  }
}
