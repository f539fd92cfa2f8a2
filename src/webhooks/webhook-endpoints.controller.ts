import { Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
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
import { ApiErrorResponses, ApiObjectResponse } from '../openapi/api-responses';
import type { ListObject } from '../common/pagination';
import {
  type WebhookDeliveryObject,
  webhookDeliveryListSchema,
  type WebhookEndpointDeleted,
  webhookEndpointCreatedSchema,
  webhookEndpointDeletedSchema,
  webhookEndpointListSchema,
  type WebhookEndpointObject,
  webhookEndpointSchema,
} from './webhook-endpoint.presenter';

@ApiTags('webhooks')
@ApiBearerAuth('secret_key')
@ApiErrorResponses(401, 429, 503)
@Controller('v1/webhook_endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '1–255 printable ASCII characters' })
  @ApiObjectResponse(201, webhookEndpointCreatedSchema, 'Created; `secret` (whsec_…) is shown in this response only.')
  @ApiErrorResponses(400, 409, 413, 415, 422)
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
  @ApiObjectResponse(200, webhookEndpointListSchema, 'The merchant’s webhook endpoints, newest first.')
  @ApiErrorResponses(400)
  async list(
    @ValidQuery(listWebhookEndpointsQuerySchema) query: ListWebhookEndpointsQuery,
    @CurrentMerchant() merchantId: string,
  ): Promise<ListObject<WebhookEndpointObject>> {
    return this.endpoints.list(merchantId, query);
  }

  @Get(':id')
  @ApiObjectResponse(200, webhookEndpointSchema, 'The webhook endpoint (without its secret).')
  @ApiErrorResponses(404)
  async get(
    @ValidId('we', 'webhook endpoint') id: string,
    @CurrentMerchant() merchantId: string,
  ): Promise<WebhookEndpointObject> {
    return this.endpoints.get(merchantId, id);
  }

  @Delete(':id')
  @ApiObjectResponse(200, webhookEndpointDeletedSchema, 'Deleted: the endpoint receives nothing more.')
  @ApiErrorResponses(404)
  async remove(
    @ValidId('we', 'webhook endpoint') id: string,
    @CurrentMerchant() merchantId: string,
  ): Promise<WebhookEndpointDeleted> {
    return this.endpoints.remove(merchantId, id);
  }

  @Get(':id/deliveries')
  @ApiObjectResponse(
    200,
    webhookDeliveryListSchema,
    'Delivery attempts, newest first: time, status code or error, duration.',
  )
  @ApiErrorResponses(400, 404)
  async deliveries(
    @ValidId('we', 'webhook endpoint') id: string,
    @ValidQuery(listWebhookDeliveriesQuerySchema) query: ListWebhookDeliveriesQuery,
    @CurrentMerchant() merchantId: string,
  ): Promise<ListObject<WebhookDeliveryObject>> {
    return this.endpoints.deliveries(merchantId, id, query);
  }
}
