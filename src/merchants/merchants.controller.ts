import { Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { Operator } from '../http/route-access';
import { ValidBody } from '../common/validation/validated.decorators';
import { ValidId } from '../common/validation/valid-id.decorator';
import { PAYOUT_SCHEDULES } from '../database/enum-values';
import type { IdempotentCall } from '../idempotency/idempotent-call';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { MerchantsService } from './merchants.service';
import { ApiErrorResponses, ApiObjectResponse } from '../openapi/api-responses';
import { merchantCreatedSchema, type MerchantObject, merchantSchema } from './merchant.presenter';

const createMerchantSchema = z.strictObject({ name: z.string().trim().min(1).max(200) });

// API.md: the operator may change a merchant's payout schedule; nothing else of a merchant changes.
const updateMerchantSchema = z.strictObject({ payout_schedule: z.enum(PAYOUT_SCHEDULES) });

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

  @Get(':id')
  @ApiObjectResponse(200, merchantSchema, 'The merchant.')
  @ApiErrorResponses(404)
  get(@ValidId('mer', 'merchant') id: string): Promise<MerchantObject> {
    return this.merchants.get(id);
  }

  /** Changes the merchant's payout schedule; the next scheduled run (or POST /v1/admin/payouts/run) follows it. */
  @Patch(':id')
  @HttpCode(200)
  @ApiObjectResponse(200, merchantSchema, 'The merchant, as changed.')
  @ApiErrorResponses(400, 404, 413, 415)
  update(
    @ValidId('mer', 'merchant') id: string,
    @ValidBody(updateMerchantSchema) input: z.output<typeof updateMerchantSchema>,
  ): Promise<MerchantObject> {
    return this.merchants.setPayoutSchedule(id, input.payout_schedule);
  }
}
