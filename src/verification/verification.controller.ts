import { Controller, Get } from '@nestjs/common';
import { ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Operator } from '../http/route-access';
import { LedgerVerifier } from './ledger-verifier.service';
import { ApiErrorResponses, ApiObjectResponse } from '../openapi/api-responses';
import { type LedgerVerification, ledgerVerificationSchema } from './ledger-verification.presenter';

// The class keeps its name from the ledger folder: the OpenAPI operation id (LedgerAdminController_verify) is
// made from it.
@ApiTags('operator')
@ApiSecurity('admin_token')
@Operator()
@ApiErrorResponses(401, 429, 503)
@Controller('v1/admin/ledger')
export class LedgerAdminController {
  constructor(private readonly verifier: LedgerVerifier) {}

  /** Proves the whole ledger now: balanced transactions, kept balances, and payment and refund amounts. */
  @Get('verify')
  @ApiObjectResponse(200, ledgerVerificationSchema, 'The proof: `balanced`, and what does not agree.')
  verify(): Promise<LedgerVerification> {
    return this.verifier.verify();
  }
}
