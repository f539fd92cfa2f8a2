import { Injectable } from '@nestjs/common';
import { type ArrivalResult, BankRail, type BankTransfer, type SubmissionResult } from './bank-rail.port';
import { simulatedArrival, simulatedSubmission } from './simulated-bank-outcomes';

/**
 * The built-in bank: the account holder's name decides every answer (simulated-bank-outcomes.ts), so asking again
 * under the same payout gives the same answer without a record of its own. It pays as soon as it is asked on the
 * arrival date; the payouts processor asks then.
 */
@Injectable()
export class BankRailSimulator extends BankRail {
  submit(transfer: BankTransfer): Promise<SubmissionResult> {
    return Promise.resolve(simulatedSubmission(transfer.accountHolderName));
  }

  arrival(transfer: BankTransfer): Promise<ArrivalResult> {
    return Promise.resolve(simulatedArrival(transfer.accountHolderName));
  }
}
