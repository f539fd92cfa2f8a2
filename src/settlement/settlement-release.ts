/** A pending amount whose delay has passed, as the release job reads it. */
export interface DuePending {
  paymentId: string;
  merchantId: string;
  currency: string;
  amountMinor: number;
}

/** What one settlement_release ledger transaction moves: the sum of a merchant's due amounts in one currency. */
export interface ReleaseGroup {
  merchantId: string;
  currency: string;
  amountMinor: number;
  paymentIds: string[];
}

/**
 * The due amounts grouped per merchant and currency (one ledger transaction each, API.md: batched, not one per
 * payment), in first-seen order. Amounts of 0 (a payment refunded in full while pending) move no money: they are
 * left out of the groups and listed apart, to be closed without a transaction.
 */
export function releaseGroups(due: readonly DuePending[]): { groups: ReleaseGroup[]; empty: string[] } {
  const groups = new Map<string, ReleaseGroup>();
  const empty: string[] = [];
  for (const row of due) {
    if (!Number.isSafeInteger(row.amountMinor) || row.amountMinor < 0) {
      throw new Error(`pending amount of ${row.paymentId} must be a non-negative integer, got ${row.amountMinor}`);
    }
    if (row.amountMinor === 0) {
      empty.push(row.paymentId);
      continue;
    }
    const key = `${row.merchantId}\u0000${row.currency}`;
    const group = groups.get(key) ?? {
      merchantId: row.merchantId,
      currency: row.currency,
      amountMinor: 0,
      paymentIds: [],
    };
    group.amountMinor += row.amountMinor;
    if (!Number.isSafeInteger(group.amountMinor)) {
      throw new Error(`released sum of ${row.merchantId} in ${row.currency} is past the safe integer range`);
    }
    group.paymentIds.push(row.paymentId);
    groups.set(key, group);
  }
  return { groups: [...groups.values()], empty };
}
