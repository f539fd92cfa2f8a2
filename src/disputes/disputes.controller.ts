import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import { CurrentMerchant } from '../auth/current-merchant.decorator';
import { CachedRead } from '../caching/cached-read.decorator';
import type { ListObject } from '../common/pagination';
import { ValidBody, ValidQuery } from '../common/validation/validated.decorators';
import { ValidId } from '../common/validation/valid-id.decorator';
import type { IdempotentCall } from '../idempotency/idempotent-call';
import { Idempotent } from '../idempotency/idempotent.decorator';
import { ApiErrorResponses, ApiObjectResponse } from '../openapi/api-responses';
import { disputeCache } from './dispute-cache';
import { type DisputeObject, disputeListSchema, disputeSchema } from './dispute.presenter';
import {
  closeDisputeSchema,
  type ListDisputesQuery,
  listDisputesQuerySchema,
  type SubmitEvidenceInput,
  submitEvidenceSchema,
} from './dispute.schemas';
import { DisputesService } from './disputes.service';

@ApiTags('disputes')
@ApiBearerAuth('secret_key')
@ApiErrorResponses(401, 429, 503)
@Controller('v1/disputes')
export class DisputesController {
  constructor(private readonly disputes: DisputesService) {}

  @Get()
  @ApiObjectResponse(200, disputeListSchema, 'The merchant’s disputes, newest first.')
  @ApiErrorResponses(400)
  list(
    @ValidQuery(listDisputesQuerySchema) query: ListDisputesQuery,
    @CurrentMerchant() merchantId: string,
  ): Promise<ListObject<DisputeObject>> {
    return this.disputes.list(merchantId, query);
  }

  @Get(':id')
  @CachedRead(disputeCache)
  @ApiObjectResponse(200, disputeSchema, 'The dispute.')
  @ApiErrorResponses(404)
  get(@ValidId('dp', 'dispute') id: string, @CurrentMerchant() merchantId: string): Promise<DisputeObject> {
    return this.disputes.get(merchantId, id);
  }

  @Post(':id/evidence')
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'honoured when sent' })
  @ApiObjectResponse(200, disputeSchema, 'The dispute, `under_review`: the network decides on the evidence.')
  @ApiErrorResponses(400, 404, 409, 413, 415, 422)
  submitEvidence(
    @ValidId('dp', 'dispute') id: string,
    @ValidBody(submitEvidenceSchema) input: SubmitEvidenceInput,
    @CurrentMerchant() merchantId: string,
    @Idempotent({ required: false }) call: IdempotentCall,
  ): Promise<unknown> {
    return call.run((tx) => this.disputes.submitEvidence(tx, merchantId, id, input.text));
  }

  @Post(':id/close')
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'honoured when sent' })
  @ApiObjectResponse(200, disputeSchema, 'The dispute, accepted: `lost`.')
  @ApiErrorResponses(400, 404, 409, 413, 415, 422)
  close(
    @ValidId('dp', 'dispute') id: string,
    @ValidBody(closeDisputeSchema) _input: object,
    @CurrentMerchant() merchantId: string,
    @Idempotent({ required: false }) call: IdempotentCall,
  ): Promise<unknown> {
    return call.run((tx) => this.disputes.close(tx, merchantId, id));
  }
}
