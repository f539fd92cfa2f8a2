import { Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentMerchant } from '../auth/current-merchant.decorator';
import { ValidBody, ValidQuery } from '../common/validation/validated.decorators';
import { ValidId } from '../common/validation/valid-id.decorator';
import type { IdempotentCall } from '../idempotency/idempotent-call';
import { Idempotent } from '../idempotency/idempotent.decorator';
import {
  cancelPaymentSchema,
  type CapturePaymentInput,
  capturePaymentSchema,
  type CreatePaymentInput,
  createPaymentSchema,
  type ListPaymentsQuery,
  listPaymentsQuerySchema,
} from './payment.schemas';
import { PaymentCache } from './payment-cache';
import { PaymentsService } from './payments.service';
import { CachedReads } from '../caching/cached-reads.service';

@ApiTags('payments')
@ApiBearerAuth('secret_key')
@Controller('v1/payments')
export class PaymentsController {
  constructor(
    private readonly payments: PaymentsService,
    private readonly cache: PaymentCache,
    private readonly cachedReads: CachedReads,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '1–255 printable ASCII characters' })
  @ApiResponse({
    status: 202,
    description: 'Accepted: the payment is `processing`; the outcome follows asynchronously.',
  })
  create(
    @ValidBody(createPaymentSchema) input: CreatePaymentInput,
    @CurrentMerchant() merchantId: string,
    @Idempotent({ required: true }) call: IdempotentCall,
  ): Promise<unknown> {
    return call.run(
      (tx) => this.payments.create(tx, merchantId, input),
      // A "not found" remembered for this id (someone asked before it existed) must not outlive its creation.
      (payment) => this.cache.paymentChanged(merchantId, payment.id),
    );
  }

  @Get(':id')
  get(
    @ValidId('pay', 'payment') id: string,
    @CurrentMerchant() merchantId: string,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    return this.cachedReads.serve(reply, 'payment', merchantId, id, () => this.payments.get(merchantId, id));
  }

  @Get()
  async list(@ValidQuery(listPaymentsQuerySchema) query: ListPaymentsQuery, @CurrentMerchant() merchantId: string) {
    return this.payments.list(merchantId, query);
  }

  @Post(':id/capture')
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'honoured when sent' })
  capture(
    @ValidId('pay', 'payment') id: string,
    @ValidBody(capturePaymentSchema) input: CapturePaymentInput,
    @CurrentMerchant() merchantId: string,
    @Idempotent({ required: false }) call: IdempotentCall,
  ): Promise<unknown> {
    return call.run(
      (tx) => this.payments.capture(tx, merchantId, id, input.amount),
      () => this.cache.paymentChanged(merchantId, id),
    );
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'honoured when sent' })
  cancel(
    @ValidId('pay', 'payment') id: string,
    @ValidBody(cancelPaymentSchema) _input: object,
    @CurrentMerchant() merchantId: string,
    @Idempotent({ required: false }) call: IdempotentCall,
  ): Promise<unknown> {
    return call.run(
      (tx) => this.payments.cancel(tx, merchantId, id),
      () => this.cache.paymentChanged(merchantId, id),
    );
  }
}
