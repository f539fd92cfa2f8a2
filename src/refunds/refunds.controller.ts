import { Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentMerchant } from '../auth/current-merchant.decorator';
import { ValidBody } from '../common/validation/validated.decorators';
import { ValidId } from '../common/validation/valid-id.decorator';
import type { IdempotentCall } from '../idempotency/idempotent-call';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { type CreateRefundInput, createRefundSchema } from './refund.schemas';
import { RefundsService } from './refunds.service';
import { CachedReads } from '../caching/cached-reads.service';
import { PaymentCache } from '../payments/payment-cache';

@ApiTags('refunds')
@ApiBearerAuth('secret_key')
@Controller('v1/refunds')
export class RefundsController {
  constructor(
    private readonly refunds: RefundsService,
    private readonly cache: PaymentCache,
    private readonly cachedReads: CachedReads,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '1–255 printable ASCII characters' })
  create(
    @ValidBody(createRefundSchema) input: CreateRefundInput,
    @CurrentMerchant() merchantId: string,
    @Idempotent({ required: true }) call: IdempotentCall,
  ): Promise<unknown> {
    return call.run(
      (tx) => this.refunds.create(tx, merchantId, input),
      (refund) => this.cache.refundCreated(merchantId, refund.payment_id, refund.id),
    );
  }

  @Get(':id')
  get(
    @ValidId('re', 'refund') id: string,
    @CurrentMerchant() merchantId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    return this.cachedReads.serve(reply, 'refund', merchantId, id, () => this.refunds.get(merchantId, id));
  }
}
