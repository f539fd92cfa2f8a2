import { LedgerInputError } from './ledger-transaction';

/** A posting as a running balance sees it: the account's id and the signed amount. */
export interface AccountPosting {
  accountId: string;
  amountMinor: number;
}

/** What one account's running balance changes by. */
export interface BalanceDelta {
  accountId: string;
  deltaMinor: bigint;
}

/**
 * The running-balance changes of a batch of postings: one summed delta per account, so that a merchant's balance row
 * (which every payment of the merchant writes: the hot account) is written and locked once per batch instead of once
 * per posting. Accounts whose postings cancel out are left out: nothing to write, nothing to lock.
 *
 * Sums are BigInt: a batch's sum of safe integers can leave the safe range. Ordered by account id (code unit order),
 * a stable order; the locks themselves are taken in the database's `ORDER BY id`, by the statement that applies these.
 */
export function balanceDeltas(postings: readonly AccountPosting[]): BalanceDelta[] {
  const sums = new Map<string, bigint>();
  for (const { accountId, amountMinor } of postings) {
    if (typeof accountId !== 'string' || accountId.length === 0)
      throw new LedgerInputError('a posting needs an account id');
    if (!Number.isSafeInteger(amountMinor) || amountMinor === 0) {
      throw new LedgerInputError(`a posting's amount is a non-zero safe integer, got ${String(amountMinor)}`);
    }
    sums.set(accountId, (sums.get(accountId) ?? 0n) + BigInt(amountMinor));
  }
  return [...sums]
    .filter(([, deltaMinor]) => deltaMinor !== 0n)
    .map(([accountId, deltaMinor]) => ({ accountId, deltaMinor }))
    .sort((left, right) => (left.accountId < right.accountId ? -1 : left.accountId > right.accountId ? 1 : 0));
}
