import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { CurrentMerchant } from '../auth/current-merchant.decorator';
import { CachedRead } from '../caching/cached-read.decorator';
import type { ListObject } from '../common/pagination';
import { ValidBody, ValidQuery } from '../common/validation/validated.decorators';
import { ValidId } from '../common/validation/valid-id.decorator';
import type { IdempotentCall } from '../idempotency/idempotent-call';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { ApiErrorResponses, ApiObjectResponse } from '../openapi/api-responses';
import { payoutCache } from './payout-cache';
import { type PayoutObject, payoutListSchema, payoutSchema } from './payout.presenter';
import {
  type CreatePayoutInput,
  createPayoutSchema,
  type ListPayoutsQuery,
  listPayoutsQuerySchema,
} from './payout.schemas';
import { PayoutsService } from './payouts.service';

@ApiTags('payouts')
@ApiBearerAuth('secret_key')
@ApiErrorResponses(401, 429, 503)
@Controller('v1/payouts')
export class PayoutsController {
  constructor(private readonly payouts: PayoutsService) {}

  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '1–255 printable ASCII characters' })
  @ApiObjectResponse(201, payoutSchema, 'The payout, `pending`; the bank’s answer follows asynchronously.')
  @ApiErrorResponses(400, 409, 413, 415, 422)
  create(
    @ValidBody(createPayoutSchema) input: CreatePayoutInput,
    @CurrentMerchant() merchantId: string,
    @Idempotent({ required: true }) call: IdempotentCall,
  ): Promise<unknown> {
    return call.run((tx) => this.payouts.create(tx, merchantId, input));
  }

  @Get(':id')
  @CachedRead(payoutCache)
  @ApiObjectResponse(200, payoutSchema, 'The payout.')
  @ApiErrorResponses(404)
  get(@ValidId('po', 'payout') id: string, @CurrentMerchant() merchantId: string): Promise<PayoutObject> {
    return this.payouts.get(merchantId, id);
  }

  @Get()
  @ApiObjectResponse(200, payoutListSchema, 'The merchant’s payouts, newest first.')
  @ApiErrorResponses(400)
  list(
    @ValidQuery(listPayoutsQuerySchema) query: ListPayoutsQuery,
    @CurrentMerchant() merchantId: string,
  ): Promise<ListObject<PayoutObject>> {
    return this.payouts.list(merchantId, query);
  }
}
