import { Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import { ApiHeader, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Operator } from '../http/route-access';
import { ValidBody, ValidQuery } from '../common/validation/validated.decorators';
import { ValidId } from '../common/validation/valid-id.decorator';
import type { IdempotentCall } from '../idempotency/idempotent-call';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { createApiKeySchema, type ListApiKeysQuery, listApiKeysQuerySchema } from './api-key.schemas';
import { ApiKeysService } from './api-keys.service';

/** The operator's view of a merchant's secret API keys (API.md "API keys"). */
@ApiTags('operator')
@ApiSecurity('admin_token')
@Operator()
@Controller('v1/admin/merchants/:id/api_keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @ApiResponse({ status: 200, description: 'The merchant’s keys, newest first, revoked ones included.' })
  @ApiResponse({ status: 404, description: 'No such merchant.' })
  list(@ValidId('mer', 'merchant') merchantId: string, @ValidQuery(listApiKeysQuerySchema) query: ListApiKeysQuery) {
    return this.apiKeys.list(merchantId, query);
  }

  /** A new key; the response holds the key itself, shown this once. */
  @Post()
  @HttpCode(201)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'honoured when sent' })
  @ApiResponse({ status: 201, description: 'Created; `api_key` (sk_test_…) is shown in this response only.' })
  @ApiResponse({ status: 404, description: 'No such merchant.' })
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
  @ApiResponse({ status: 200, description: 'The key, with `revoked_at` (of the first revocation).' })
  @ApiResponse({ status: 404, description: 'No such key for this merchant.' })
  @ApiResponse({ status: 503, description: 'Revoked, but the cache could not be cleared: repeat the request.' })
  revoke(@ValidId('mer', 'merchant') merchantId: string, @ValidId('key', 'API key', 'key_id') keyId: string) {
    return this.apiKeys.revoke(merchantId, keyId);
  }
}
