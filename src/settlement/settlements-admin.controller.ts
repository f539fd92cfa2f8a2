import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiHeader, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ValidBody } from '../common/validation/validated.decorators';
import { Operator } from '../http/route-access';
import type { IdempotentCall } from '../idempotency/idempotent-call';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { ApiErrorResponses, ApiObjectResponse } from '../openapi/api-responses';
import { runSettlementsSchema, type SettlementsRunObject, settlementsRunSchema } from './settlement.presenter';
import { SettlementReleaseService } from './settlement-release.service';

@ApiTags('operator')
@ApiSecurity('admin_token')
@Operator()
@ApiErrorResponses(401, 429, 503)
@Controller('v1/admin/settlements')
export class SettlementsAdminController {
  constructor(private readonly release: SettlementReleaseService) {}

  /**
   * Runs the settlement release now, as its scheduled job would (SETTLEMENT_RELEASE_INTERVAL_MS): every pending
   * amount whose delay has passed moves to available, once; running it again releases nothing more.
   */
  @Post('run')
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'honoured when sent' })
  @ApiObjectResponse(200, settlementsRunSchema, 'How many payments’ pending amounts the run released.')
  @ApiErrorResponses(400, 409, 413, 415, 422)
  run(
    @ValidBody(runSettlementsSchema) _input: object,
    @Idempotent({ required: false }) call: IdempotentCall,
  ): Promise<unknown> {
    return call.run(async (): Promise<SettlementsRunObject> => ({ released: await this.release.releaseDue() }));
  }
}
