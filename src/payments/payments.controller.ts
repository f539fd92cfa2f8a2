import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
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
  createPaymentSchemaOf,
  type ListPaymentsQuery,
  listPaymentsQuerySchema,
} from './payment.schemas';
import { CachedRead } from '../caching/cached-read.decorator';
import { paymentCache } from './payment-cache';
import { PaymentIntake } from './payment-intake';
import { PaymentsService } from './payments.service';
import { openApiSchema } from '../openapi/openapi-schema';
import { cardPaymentMethodSchema } from './card/card.schemas';
import { CreatePaymentPipe } from './payment-methods/create-payment.pipe';

// The document shows the built-in method; the body is validated against every registered one (CreatePaymentPipe).
const documentedCreateBody = openApiSchema(createPaymentSchemaOf([cardPaymentMethodSchema]));

@ApiTags('payments')
@ApiBearerAuth('secret_key')
@Controller('v1/payments')
export class PaymentsController {
  constructor(
    private readonly payments: PaymentsService,
    private readonly intake: PaymentIntake,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '1–255 printable ASCII characters' })
  @ApiResponse({
    status: 202,
    description: 'Accepted: the payment is `processing`; the outcome follows asynchronously.',
  })
  @ApiBody({ schema: documentedCreateBody })
  create(
    @Body(CreatePaymentPipe) input: CreatePaymentInput,
    @CurrentMerchant() merchantId: string,
    @Idempotent({ required: true }) call: IdempotentCall,
  ): Promise<unknown> {
    // Group commit: written with the creates that arrive meanwhile, answered once committed (PaymentIntake).
    return call.runGrouped(this.intake.creates, { merchantId, input });
  }

  @Get(':id')
  @CachedRead(paymentCache)
  get(@ValidId('pay', 'payment') id: string, @CurrentMerchant() merchantId: string) {
    return this.payments.get(merchantId, id);
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
    return call.run((tx) => this.payments.capture(tx, merchantId, id, input.amount));
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
    return call.run((tx) => this.payments.cancel(tx, merchantId, id));
  }
}
