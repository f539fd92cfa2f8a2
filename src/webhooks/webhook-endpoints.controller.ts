import { Controller, Delete, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiKeyGuard } from '../auth/api-key.guard';
import type { AuthenticatedRequest } from '../auth/authenticated-request';
import { ValidBody, ValidQuery } from '../common/validation/validated.decorators';
import { ValidId } from '../common/validation/valid-id.decorator';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { sendIdempotent } from '../idempotency/idempotent-reply';
import {
  type CreateWebhookEndpointInput,
  createWebhookEndpointSchema,
  type ListWebhookDeliveriesQuery,
  listWebhookDeliveriesQuerySchema,
  type ListWebhookEndpointsQuery,
  listWebhookEndpointsQuerySchema,
} from './webhook-endpoint.schemas';
import { WebhookEndpointsService } from './webhook-endpoints.service';

@ApiTags('webhooks')
@ApiBearerAuth('secret_key')
@UseGuards(ApiKeyGuard)
@Controller('v1/webhook_endpoints')
export class WebhookEndpointsController {
  constructor(
    private readonly endpoints: WebhookEndpointsService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '1–255 printable ASCII characters' })
  @ApiResponse({ status: 201, description: 'Created; `secret` (whsec_…) is shown in this response only.' })
  async create(
    @ValidBody(createWebhookEndpointSchema) input: CreateWebhookEndpointInput,
    @Req() request: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const key = IdempotencyService.keyFrom(request.headers['idempotency-key'], false);
    await this.endpoints.assertUrlAllowed(input.url);
    const response = await this.idempotency.execute(
      { scope: request.merchantId, key, method: 'POST', path: '/v1/webhook_endpoints', body: request.body },
      async (tx) => ({ status: 201, body: await this.endpoints.create(tx, request.merchantId, input) }),
    );
    return sendIdempotent(reply, response);
  }

  @Get()
  async list(
    @ValidQuery(listWebhookEndpointsQuerySchema) query: ListWebhookEndpointsQuery,
    @Req() request: AuthenticatedRequest,
  ) {
    return this.endpoints.list(request.merchantId, query);
  }

  @Get(':id')
  async get(@ValidId('we', 'webhook endpoint') id: string, @Req() request: AuthenticatedRequest) {
    return this.endpoints.get(request.merchantId, id);
  }

  @Delete(':id')
  async remove(@ValidId('we', 'webhook endpoint') id: string, @Req() request: AuthenticatedRequest) {
    return this.endpoints.remove(request.merchantId, id);
  }

  @Get(':id/deliveries')
  @ApiResponse({ status: 200, description: 'Delivery attempts, newest first: time, status code or error, duration.' })
  async deliveries(
    @ValidId('we', 'webhook endpoint') id: string,
    @ValidQuery(listWebhookDeliveriesQuerySchema) query: ListWebhookDeliveriesQuery,
    @Req() request: AuthenticatedRequest,
  ) {
    return this.endpoints.deliveries(request.merchantId, id, query);
  }
}
