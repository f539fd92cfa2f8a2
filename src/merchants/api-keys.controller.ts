import { Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiHeader, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Operator } from '../http/route-access';
import { ValidBody, ValidQuery } from '../common/validation/validated.decorators';
import { ValidId } from '../common/validation/valid-id.decorator';
import type { IdempotentCall } from '../idempotency/idempotent-call';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { createApiKeySchema, type ListApiKeysQuery, listApiKeysQuerySchema } from './api-key.schemas';
import { ApiKeysService } from './api-keys.service';
import { ApiErrorResponses, ApiObjectResponse } from '../openapi/api-responses';
import type { ListObject } from '../common/pagination';
import { type ApiKeyObject, apiKeyCreatedSchema, apiKeyListSchema, apiKeySchema } from './api-key.presenter';

/** The operator's view of a merchant's secret API keys (API.md "API keys"). */
@ApiTags('operator')
@ApiSecurity('admin_token')
@Operator()
@ApiErrorResponses(401, 429, 503)
@Controller('v1/admin/merchants/:id/api_keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @ApiObjectResponse(200, apiKeyListSchema, 'The merchant’s keys, newest first, revoked ones included.')
  @ApiErrorResponses(400, 404)
  list(
    @ValidId('mer', 'merchant') merchantId: string,
    @ValidQuery(listApiKeysQuerySchema) query: ListApiKeysQuery,
  ): Promise<ListObject<ApiKeyObject>> {
    return this.apiKeys.list(merchantId, query);
  }

  /** A new key; the response holds the key itself, shown this once. */
  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'honoured when sent' })
  @ApiObjectResponse(201, apiKeyCreatedSchema, 'Created; `api_key` (sk_test_…) is shown in this response only.')
  @ApiErrorResponses(400, 404, 409, 413, 415, 422)
  create(
    @ValidId('mer', 'merchant') merchantId: string,
    @ValidBody(createApiKeySchema) _input: unknown,
    @Idempotent({ required: false }) call: IdempotentCall,
  ): Promise<unknown> {
    return call.run((tx) => this.apiKeys.create(tx, merchantId));
  }

  /** Revokes a key: every instance refuses it within a second. Repeating it answers the same. */
  @Delete(':key_id')
  @HttpCode(200)
  @ApiObjectResponse(200, apiKeySchema, 'The key, with `revoked_at` (of the first revocation).')
  @ApiErrorResponses(404)
  revoke(
    @ValidId('mer', 'merchant') merchantId: string,
    @ValidId('key', 'API key', 'key_id') keyId: string,
  ): Promise<ApiKeyObject> {
    return this.apiKeys.revoke(merchantId, keyId);
  }
}
