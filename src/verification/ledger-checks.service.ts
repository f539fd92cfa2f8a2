import { Injectable } from '@nestjs/common';
import type { Tx } from '../database/database';
import type { LedgerMismatch } from './ledger-verification.presenter';

/**
 * One more proof the verifier runs: a feature's objects (payouts, disputes, ...) against the postings of the ledger
 * transactions that name them. It runs inside the verifier's snapshot (repeatable read, read only), so the objects
 * and the postings it reads are of the same moment, and a mismatch makes the verification unbalanced.
 */
export interface LedgerCheck {
  /** For logs and errors: what the check proves, e.g. `payouts`. */
  name: string;
  /** The mismatches found, at most `limit` of them (the report is bounded however broken the data is). */
  run(tx: Tx, limit: number): Promise<LedgerMismatch[]>;
}

/**
 * The extension point of the ledger verifier: a feature that records ledger transactions of its own registers how
 * its objects' money is proved (its module's onModuleInit), without the verifier importing the feature. The payouts
 * and disputes features register theirs (checks `payout_postings`, `dispute_postings`).
 */
@Injectable()
export class LedgerChecks {
  private readonly checks: LedgerCheck[] = [];

  register(check: LedgerCheck): void {
    if (this.checks.some((registered) => registered.name === check.name)) {
      throw new Error(`a ledger check named '${check.name}' is already registered`);
    }
    this.checks.push(check);
  }

  registered(): readonly LedgerCheck[] {
    return this.checks;
  }
}
