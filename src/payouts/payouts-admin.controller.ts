import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiHeader, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ValidBody } from '../common/validation/validated.decorators';
import { Operator } from '../http/route-access';
import type { IdempotentCall } from '../idempotency/idempotent-call';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { ApiErrorResponses, ApiObjectResponse } from '../openapi/api-responses';
import { type PayoutsRunObject, payoutsRunSchema } from './payout.presenter';
import { AUTOMATIC_SCHEDULES } from './payout-schedule';
import { runPayoutsSchema } from './payout.schemas';
import { PayoutsService } from './payouts.service';

@ApiTags('operator')
@ApiSecurity('admin_token')
@Operator()
@ApiErrorResponses(401, 429, 503)
@Controller('v1/admin/payouts')
export class PayoutsAdminController {
  constructor(private readonly payouts: PayoutsService) {}

  /**
   * Runs every due schedule now (daily and weekly), as their scheduled jobs would: each period's payout is made once,
   * so running it again in the same period makes none.
   */
  @Post('run')
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'honoured when sent' })
  @ApiObjectResponse(200, payoutsRunSchema, 'How many automatic payouts the run made.')
  @ApiErrorResponses(400, 409, 413, 415, 422)
  run(
    @ValidBody(runPayoutsSchema) _input: object,
    @Idempotent({ required: false }) call: IdempotentCall,
  ): Promise<unknown> {
    // Each merchant and currency is paid out in a transaction of its own (PayoutsService.runSchedules), not in the
    // key's: one merchant's failure keeps the others' payouts, and a run that fails half way is simply run again.
    return call.run(async (): Promise<PayoutsRunObject> => ({
      payouts_created: await this.payouts.runSchedules(AUTOMATIC_SCHEDULES),
    }));
  }
}
