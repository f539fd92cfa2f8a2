// A payout's money against its postings: what the ledger must hold for a payout in a given status, rebuilt with the
// ledger's own builders (ledger/payout-postings.ts), and the differences from what it holds. Pure; the verifier's
// check (payout-ledger-check.ts) reads the payouts and the sums of their postings in its snapshot.
import type { LedgerMove } from '../ledger/ledger-transaction';
import { postingsForPayoutCreated, postingsForPayoutFailed, postingsForPayoutPaid } from '../ledger/payout-postings';
import { ledgerKindsOf, type PayoutStatus } from './payout-status';

export interface PayoutMoney {
  merchantId: string;
  currency: string;
  amountMinor: number;
  status: PayoutStatus;
}

/** Sums per `transaction kind/account kind` (`payout_created/merchant_available`); zero sums are left out. */
export type PostingSums = Map<string, number>;

const builders = {
  payout_created: postingsForPayoutCreated,
  payout_paid: postingsForPayoutPaid,
  payout_failed: postingsForPayoutFailed,
} as const;

/** The ledger transactions a payout in its status has recorded, with their postings. */
export function expectedPayoutLedger(payout: PayoutMoney): LedgerMove[] {
  const input = { merchantId: payout.merchantId, currency: payout.currency, amountMinor: payout.amountMinor };
  return ledgerKindsOf(payout.status).map((kind) => ({ kind, postings: builders[kind](input) }));
}

export function sumPostings(moves: readonly LedgerMove[]): PostingSums {
  const sums: PostingSums = new Map();
  for (const move of moves) {
    for (const posting of move.postings) {
      const key = `${move.kind}/${posting.account.kind}`;
      sums.set(key, (sums.get(key) ?? 0) + posting.amountMinor);
    }
  }
  for (const [key, sum] of sums) if (sum === 0) sums.delete(key);
  return sums;
}

export interface PostingDifference {
  key: string;
  expected: number;
  actual: number;
}

/** The keys on which the expected and the recorded sums differ (0 where one side has none), in key order. */
export function postingDifferences(expected: PostingSums, actual: PostingSums): PostingDifference[] {
  const keys = [...new Set([...expected.keys(), ...actual.keys()])].sort();
  return keys
    .map((key) => ({ key, expected: expected.get(key) ?? 0, actual: actual.get(key) ?? 0 }))
    .filter((entry) => entry.expected !== entry.actual);
}
