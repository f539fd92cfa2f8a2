import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Operator } from '../http/route-access';
import { ValidBody } from '../common/validation/validated.decorators';
import type { IdempotentCall } from '../idempotency/idempotent-call';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { MerchantsService } from './merchants.service';
import { ApiErrorResponses, ApiObjectResponse } from '../openapi/api-responses';
import { merchantCreatedSchema } from './merchant.presenter';

const createMerchantSchema = z.strictObject({ name: z.string().trim().min(1).max(200) });

@ApiTags('operator')
@ApiSecurity('admin_token')
@Operator()
@ApiErrorResponses(401, 429, 503)
@Controller('v1/admin/merchants')
export class MerchantsController {
  constructor(private readonly merchants: MerchantsService) {}

  /** Creates a merchant; the response holds its secret API key, shown this once. */
  @Post()
  @HttpCode(201)
  @ApiObjectResponse(201, merchantCreatedSchema, 'Created; `api_key` (sk_test_…) is shown in this response only.')
  @ApiErrorResponses(400, 409, 413, 415, 422)
  create(
    @ValidBody(createMerchantSchema) input: z.output<typeof createMerchantSchema>,
    @Idempotent({ required: false }) call: IdempotentCall,
  ): Promise<unknown> {
    return call.run((tx) => this.merchants.create(tx, input.name));
  }
}
