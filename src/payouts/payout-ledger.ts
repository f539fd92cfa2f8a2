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
