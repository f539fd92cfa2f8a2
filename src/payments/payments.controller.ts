import { Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { AuthenticatedRequest } from '../auth/authenticated-request';
import { ValidBody, ValidQuery } from '../common/validation/validated.decorators';
import { ValidId } from '../common/validation/valid-id.decorator';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { sendIdempotent } from '../idempotency/idempotent-reply';
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
@UseGuards(ApiKeyGuard)
@Controller('v1/payments')
export class PaymentsController {
  constructor(
    private readonly payments: PaymentsService,
    private readonly idempotency: IdempotencyService,
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
  async create(
    @ValidBody(createPaymentSchema) input: CreatePaymentInput,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const key = IdempotencyService.keyFrom(request.headers['idempotency-key'], true);
    const response = await this.idempotency.execute(
      { scope: request.merchantId, key, method: 'POST', path: '/v1/payments', body: request.body },
      async (tx) => ({ status: 202, body: await this.payments.create(tx, request.merchantId, input) }),
    );
    // A "not found" remembered for this id (someone asked before it existed) must not outlive its creation.
    await this.cache.paymentChanged(request.merchantId, (response.body as { id: string }).id);
    return sendIdempotent(reply, response);
  }

  @Get(':id')
  get(
    @ValidId('pay', 'payment') id: string,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const { merchantId } = request;
    return this.cachedReads.serve(reply, 'payment', merchantId, id, () => this.payments.get(merchantId, id));
  }

  @Get()
  async list(@ValidQuery(listPaymentsQuerySchema) query: ListPaymentsQuery, @Req() request: AuthenticatedRequest) {
    return this.payments.list(request.merchantId, query);
  }

  @Post(':id/capture')
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'honoured when sent' })
  async capture(
    @ValidId('pay', 'payment') id: string,
    @ValidBody(capturePaymentSchema) input: CapturePaymentInput,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const key = IdempotencyService.keyFrom(request.headers['idempotency-key'], false);
    const response = await this.idempotency.execute(
      { scope: request.merchantId, key, method: 'POST', path: `/v1/payments/${id}/capture`, body: request.body },
      async (tx) => ({ status: 200, body: await this.payments.capture(tx, request.merchantId, id, input.amount) }),
    );
    await this.cache.paymentChanged(request.merchantId, id);
    return sendIdempotent(reply, response);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'honoured when sent' })
  async cancel(
    @ValidId('pay', 'payment') id: string,
    @ValidBody(cancelPaymentSchema) _input: object,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const key = IdempotencyService.keyFrom(request.headers['idempotency-key'], false);
    const response = await this.idempotency.execute(
      { scope: request.merchantId, key, method: 'POST', path: `/v1/payments/${id}/cancel`, body: request.body },
      async (tx) => ({ status: 200, body: await this.payments.cancel(tx, request.merchantId, id) }),
    );
    await this.cache.paymentChanged(request.merchantId, id);
    return sendIdempotent(reply, response);
  }
}
