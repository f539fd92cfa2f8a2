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
  type CreatePaymentInput,
  createPaymentSchema,
  type ListPaymentsQuery,
  listPaymentsQuerySchema,
} from './payment.schemas';
import { PaymentsService } from './payments.service';

@ApiTags('payments')
@ApiBearerAuth('secret_key')
@UseGuards(ApiKeyGuard)
@Controller('v1/payments')
export class PaymentsController {
  constructor(
    private readonly payments: PaymentsService,
    private readonly idempotency: IdempotencyService,
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
    return sendIdempotent(reply, response);
  }

  @Get(':id')
  async get(@ValidId('pay', 'payment') id: string, @Req() request: AuthenticatedRequest) {
    return this.payments.get(request.merchantId, id);
  }

  @Get()
  async list(@ValidQuery(listPaymentsQuerySchema) query: ListPaymentsQuery, @Req() request: AuthenticatedRequest) {
    return this.payments.list(request.merchantId, query);
  }
}
