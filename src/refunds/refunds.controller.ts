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

@ApiTags('refunds')
@ApiBearerAuth('secret_key')
@Controller('v1/refunds')
export class RefundsController {
  constructor(private readonly refunds: RefundsService) {}

  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '1–255 printable ASCII characters' })
  create(
    @ValidBody(createRefundSchema) input: CreateRefundInput,
    @CurrentMerchant() merchantId: string,
    @Idempotent({ required: true }) call: IdempotentCall,
  ): Promise<unknown> {
    return call.run((tx) => this.refunds.create(tx, merchantId, input));
  }

  @Get(':id')
  @CachedRead(refundCache)
  get(@ValidId('re', 'refund') id: string, @CurrentMerchant() merchantId: string) {
    return this.refunds.get(merchantId, id);
  }
}
