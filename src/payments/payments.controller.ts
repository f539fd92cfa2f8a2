import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiTags } from '@nestjs/swagger';
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
import { activeTraceContext } from '../telemetry/trace-context';
import { openApiSchema } from '../openapi/openapi-schema';
import { ApiErrorResponses, ApiObjectResponse } from '../openapi/api-responses';
import { type PaymentObject, paymentListSchema, paymentSchema } from './payment.presenter';
import type { ListObject } from '../common/pagination';
import { cardPaymentMethodSchema } from './card/card.schemas';
import { CreatePaymentPipe } from './payment-methods/create-payment.pipe';

// The document shows the built-in method; the body is validated against every registered one (CreatePaymentPipe).
const documentedCreateBody = openApiSchema(createPaymentSchemaOf([cardPaymentMethodSchema]));

@ApiTags('payments')
@ApiBearerAuth('secret_key')
@ApiErrorResponses(401, 429, 503)
@Controller('v1/payments')
export class PaymentsController {
  constructor(
    private readonly payments: PaymentsService,
    private readonly intake: PaymentIntake,
  ) {}

  @Post()
  @HttpCode(202)
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '1–255 printable ASCII characters' })
  @ApiObjectResponse(202, paymentSchema, 'Accepted: the payment is `processing`; the outcome follows asynchronously.')
  @ApiErrorResponses(400, 409, 413, 415, 422)
  @ApiBody({ schema: documentedCreateBody })
  create(
    @Body(CreatePaymentPipe) input: CreatePaymentInput,
    @CurrentMerchant() merchantId: string,
    @Idempotent({ required: true }) call: IdempotentCall,
  ): Promise<unknown> {
    // Group commit: written with the creates that arrive meanwhile, answered once committed (PaymentIntake).
    return call.runGrouped(this.intake.creates, { merchantId, input, traceContext: activeTraceContext() });
  }

  @Get(':id')
  @CachedRead(paymentCache)
  @ApiObjectResponse(200, paymentSchema, 'The payment.')
  @ApiErrorResponses(404)
  get(@ValidId('pay', 'payment') id: string, @CurrentMerchant() merchantId: string): Promise<PaymentObject> {
    return this.payments.get(merchantId, id);
  }

  @Get()
  @ApiObjectResponse(200, paymentListSchema, 'The merchant’s payments, newest first.')
  @ApiErrorResponses(400)
  async list(
    @ValidQuery(listPaymentsQuerySchema) query: ListPaymentsQuery,
    @CurrentMerchant() merchantId: string,
  ): Promise<ListObject<PaymentObject>> {
    return this.payments.list(merchantId, query);
  }

  @Post(':id/capture')
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'honoured when sent' })
  @ApiObjectResponse(200, paymentSchema, 'The payment, captured: `succeeded`.')
  @ApiErrorResponses(400, 404, 409, 413, 415, 422)
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
  @ApiObjectResponse(200, paymentSchema, 'The payment, `canceled`.')
  @ApiErrorResponses(400, 404, 409, 413, 415, 422)
  cancel(
    @ValidId('pay', 'payment') id: string,
    @ValidBody(cancelPaymentSchema) _input: object,
    @CurrentMerchant() merchantId: string,
    @Idempotent({ required: false }) call: IdempotentCall,
  ): Promise<unknown> {
    return call.run((tx) => this.payments.cancel(tx, merchantId, id));
  }
}
