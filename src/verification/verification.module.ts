import { Module } from '@nestjs/common';
import { LedgerChecks } from './ledger-checks.service';
import { LedgerVerifier } from './ledger-verifier.service';
import { LedgerAdminController } from './verification.controller';
import { VerificationMetrics } from './verification.metrics';

/**
 * The ledger verifier: proves payments and refunds against their postings, so it sits above both features (it reads
 * their tables and rebuilds the postings with their pure builders; neither imports it). Its gauges (ledger_balanced,
 * ledger_mismatches) are on /metrics in every role; the maintenance queue runs it on a schedule. Features above the
 * ledger whose objects it cannot know (payouts, disputes) register their proofs with LedgerChecks.
 */
@Module({ providers: [LedgerVerifier, LedgerChecks, VerificationMetrics], exports: [LedgerVerifier, LedgerChecks] })
export class VerificationModule {}

/** The operator's `GET /v1/admin/ledger/verify`, mounted only in the roles that serve HTTP. */
@Module({ imports: [VerificationModule], controllers: [LedgerAdminController] })
export class VerificationHttpModule {}
