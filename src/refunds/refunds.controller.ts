import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { CurrentMerchant } from '../auth/current-merchant.decorator';
import { ValidBody } from '../common/validation/validated.decorators';
import { ValidId } from '../common/validation/valid-id.decorator';
import type { IdempotentCall } from '../idempotency/idempotent-call';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { type CreateRefundInput, createRefundSchema } from './refund.schemas';
import { CachedRead } from '../caching/cached-read.decorator';
import { refundCache } from './refund-cache';
import { RefundsService } from './refunds.service';
import { ApiErrorResponses, ApiObjectResponse } from '../openapi/api-responses';
import { type RefundObject, refundSchema } from './refund.presenter';

@ApiTags('refunds')
@ApiBearerAuth('secret_key')
@ApiErrorResponses(401, 429, 503)
@Controller('v1/refunds')
export class RefundsController {
  constructor(private readonly refunds: RefundsService) {}

  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '1–255 printable ASCII characters' })
  @ApiObjectResponse(201, refundSchema, 'The refund, `succeeded`.')
  @ApiErrorResponses(400, 404, 409, 413, 415, 422)
  create(
    @ValidBody(createRefundSchema) input: CreateRefundInput,
    @CurrentMerchant() merchantId: string,
    @Idempotent({ required: true }) call: IdempotentCall,
  ): Promise<unknown> {
    return call.run((tx) => this.refunds.create(tx, merchantId, input));
  }

  @Get(':id')
  @CachedRead(refundCache)
  @ApiObjectResponse(200, refundSchema, 'The refund.')
  @ApiErrorResponses(404)
  get(@ValidId('re', 'refund') id: string, @CurrentMerchant() merchantId: string): Promise<RefundObject> {
    return this.refunds.get(merchantId, id);
  }
}
