import { Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { AuthenticatedRequest } from '../auth/authenticated-request';
import { ValidBody } from '../common/validation/validated.decorators';
import { ValidId } from '../common/validation/valid-id.decorator';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { sendIdempotent } from '../idempotency/idempotent-reply';
import { type CreateRefundInput, createRefundSchema } from './refund.schemas';
import { RefundsService } from './refunds.service';
import type { RefundObject } from './refund.presenter';
import { CachedReads } from '../caching/cached-reads.service';
import { PaymentCache } from '../payments/payment-cache';

@ApiTags('refunds')
@ApiBearerAuth('secret_key')
@UseGuards(ApiKeyGuard)
@Controller('v1/refunds')
export class RefundsController {
  constructor(
    private readonly refunds: RefundsService,
    private readonly idempotency: IdempotencyService,
    private readonly cache: PaymentCache,
    private readonly cachedReads: CachedReads,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: true, description: '1–255 printable ASCII characters' })
  async create(
    @ValidBody(createRefundSchema) input: CreateRefundInput,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const key = IdempotencyService.keyFrom(request.headers['idempotency-key'], true);
    const response = await this.idempotency.execute(
      { scope: request.merchantId, key, method: 'POST', path: '/v1/refunds', body: request.body },
      async (tx) => ({ status: 201, body: await this.refunds.create(tx, request.merchantId, input) }),
    );
    if (response.status === 201) {
      const refund = response.body as RefundObject;
      await this.cache.refundCreated(request.merchantId, refund.payment_id, refund.id);
    }
    return sendIdempotent(reply, response);
  }

  @Get(':id')
  get(
    @ValidId('re', 'refund') id: string,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const { merchantId } = request;
    return this.cachedReads.serve(reply, 'refund', merchantId, id, () => this.refunds.get(merchantId, id));
  }
}
