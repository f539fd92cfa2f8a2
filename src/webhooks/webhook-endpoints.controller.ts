import { Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentMerchant } from '../auth/current-merchant.decorator';
import { ValidBody, ValidQuery } from '../common/validation/validated.decorators';
import { ValidId } from '../common/validation/valid-id.decorator';
import type { IdempotentCall } from '../idempotency/idempotent-call';
import { Idempotent } from '../idempotency/idempotent.decorator';
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
@Controller('v1/webhook_endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '1–255 printable ASCII characters' })
  @ApiResponse({ status: 201, description: 'Created; `secret` (whsec_…) is shown in this response only.' })
  create(
    @ValidBody(createWebhookEndpointSchema) input: CreateWebhookEndpointInput,
    @CurrentMerchant() merchantId: string,
    @Idempotent({ required: false }) call: IdempotentCall,
  ): Promise<unknown> {
    return call.run((tx) => this.endpoints.create(tx, merchantId, input), {
      beforeClaim: () => this.endpoints.assertUrlAllowed(input.url),
    });
  }

  @Get()
  async list(
    @ValidQuery(listWebhookEndpointsQuerySchema) query: ListWebhookEndpointsQuery,
    @CurrentMerchant() merchantId: string,
  ) {
    return this.endpoints.list(merchantId, query);
  }

  @Get(':id')
  async get(@ValidId('we', 'webhook endpoint') id: string, @CurrentMerchant() merchantId: string) {
    return this.endpoints.get(merchantId, id);
  }

  @Delete(':id')
  async remove(@ValidId('we', 'webhook endpoint') id: string, @CurrentMerchant() merchantId: string) {
    return this.endpoints.remove(merchantId, id);
  }

  @Get(':id/deliveries')
  @ApiResponse({ status: 200, description: 'Delivery attempts, newest first: time, status code or error, duration.' })
  async deliveries(
    @ValidId('we', 'webhook endpoint') id: string,
    @ValidQuery(listWebhookDeliveriesQuerySchema) query: ListWebhookDeliveriesQuery,
    @CurrentMerchant() merchantId: string,
  ) {
    return this.endpoints.deliveries(merchantId, id, query);
  }
}
