import type { ArrivalResult, SubmissionResult } from './bank-rail.port';

// API.md: the merchant's name chooses how the simulated bank treats its payouts. `…bank-late-fail` does not end in
// `bank-fail` (it ends in `late-fail`), so the two suffixes never both match.
const failsAtOnceSuffix = 'bank-fail';
const failsLateSuffix = 'bank-late-fail';

/** What the simulated bank does with every payout of an account holder. */
export type SimulatedBankBehaviour = 'pays' | 'fails_at_once' | 'fails_late';

/** Pure: the behaviour a merchant's name chooses (surrounding spaces and letter case do not count). */
export function simulatedBankBehaviour(accountHolderName: string): SimulatedBankBehaviour {
  const name = accountHolderName.trim().toLowerCase();
  if (name.endsWith(failsLateSuffix)) return 'fails_late';
  if (name.endsWith(failsAtOnceSuffix)) return 'fails_at_once';
  return 'pays';
}

export function simulatedSubmission(accountHolderName: string): SubmissionResult {
  return simulatedBankBehaviour(accountHolderName) === 'fails_at_once'
    ? { accepted: false, failureCode: 'account_closed' }
    : { accepted: true };
}

export function simulatedArrival(accountHolderName: string): ArrivalResult {
  return simulatedBankBehaviour(accountHolderName) === 'fails_late'
    ? { paid: false, failureCode: 'could_not_process' }
    : { paid: true };
}
