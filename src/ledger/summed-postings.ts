import type { LedgerMove } from './ledger-transaction';

/** Postings summed per ledger transaction kind and account kind (`payment_capture/merchant_available`, say). */
export type PostingSums = Map<string, number>;

/** Sums ledger moves per transaction kind and account kind; zero sums are left out. */
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

/** Where an owner's expected and recorded sums differ. */
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
