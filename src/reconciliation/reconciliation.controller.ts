import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiHeader, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { ListObject } from '../common/pagination';
import { ValidBody, ValidParam, ValidQuery } from '../common/validation/validated.decorators';
import { Operator } from '../http/route-access';
import type { IdempotentCall } from '../idempotency/idempotent-call';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { ApiErrorResponses, ApiObjectResponse } from '../openapi/api-responses';
import { type ReconciliationObject, reconciliationListSchema, reconciliationSchema } from './reconciliation.presenter';
import {
  daySchema,
  type ListReconciliationsQuery,
  listReconciliationsQuerySchema,
  type RunReconciliationInput,
  runReconciliationSchema,
} from './reconciliation.schemas';
import { ReconciliationService } from './reconciliation.service';

@ApiTags('operator')
@ApiSecurity('admin_token')
@Operator()
@ApiErrorResponses(401, 429, 503)
@Controller('v1/admin/reconciliations')
export class ReconciliationController {
  constructor(private readonly reconciliations: ReconciliationService) {}

  /**
   * Runs (or reruns) a UTC day now: the card network's report against the ledger. A rerun replaces the day's result;
   * a request repeated with its Idempotency-Key answers the first run's result instead of running again.
   */
  @Post()
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'honoured when sent' })
  @ApiObjectResponse(200, reconciliationSchema, 'The day’s reconciliation, just made.')
  @ApiErrorResponses(400, 409, 413, 415, 422)
  run(
    @ValidBody(runReconciliationSchema) input: RunReconciliationInput,
    @Idempotent({ required: false }) call: IdempotentCall,
  ): Promise<unknown> {
    // The run stores its day on its own, not in the key's transaction: it reads the network's reports, which must not
    // hold a transaction open, and a run that fails stores nothing under the key (a retry runs again).
    return call.run(() => this.reconciliations.run(input.date));
  }

  @Get(':date')
  @ApiObjectResponse(200, reconciliationSchema, 'The day’s last reconciliation.')
  @ApiErrorResponses(400, 404)
  get(@ValidParam('date', daySchema) date: string): Promise<ReconciliationObject> {
    return this.reconciliations.get(date);
  }

  @Get()
  @ApiObjectResponse(200, reconciliationListSchema, 'The reconciled days, newest day first.')
  @ApiErrorResponses(400)
  list(
    @ValidQuery(listReconciliationsQuerySchema) query: ListReconciliationsQuery,
  ): Promise<ListObject<ReconciliationObject>> {
    return this.reconciliations.list(query);
  }
}
