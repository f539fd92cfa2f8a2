// The money of a dispute: its amount and fee when it opens, and the ledger moves its status implies (what the
// verifier rebuilds and compares with the postings that name the dispute).
import { currencyExponent } from '../common/money/currency';
import { postingsForDisputeLost, postingsForDisputeOpened, postingsForDisputeWon } from '../ledger/dispute-postings';
import { type LedgerMove, LedgerInputError } from '../ledger/ledger-transaction';
import type { DisputeStatus } from './dispute-status';

/**
 * DISPUTE_FEE (whole major units) in `currency`'s minor units: 15 is 1500 USD cents, 15 JPY, 15000 BHD fils.
 * Whole major units only, so the result is exact in every currency.
 */
export function disputeFeeMinor(feeMajor: number, currency: string): number {
  if (!Number.isSafeInteger(feeMajor) || feeMajor < 0) {
    throw new LedgerInputError(`a dispute fee is a whole, non-negative number of major units, got ${String(feeMajor)}`);
  }
  const feeMinor = feeMajor * 10 ** currencyExponent(currency);
  if (!Number.isSafeInteger(feeMinor)) throw new LedgerInputError(`a dispute fee of ${feeMajor} leaves the safe range`);
  return feeMinor;
}

/** API.md: a dispute's amount is the payment's captured minus refunded amount when it opens (0: nothing to dispute). */
export function disputedAmountMinor(capturedMinor: number, refundedMinor: number): number {
  if (!Number.isSafeInteger(capturedMinor) || !Number.isSafeInteger(refundedMinor) || refundedMinor < 0) {
    throw new LedgerInputError(`not a payment's amounts: captured ${capturedMinor}, refunded ${refundedMinor}`);
  }
  if (refundedMinor > capturedMinor) {
    throw new LedgerInputError(`refunded ${refundedMinor} exceeds captured ${capturedMinor}`);
  }
  return capturedMinor - refundedMinor;
}

export interface DisputeMoney {
  merchantId: string;
  currency: string;
  amountMinor: number;
  feeMinor: number;
  status: DisputeStatus;
}

/** The opening's move: the amount and the fee leave available (it may go negative) for the reserve and the fees. */
export function disputeOpenedMove(dispute: Omit<DisputeMoney, 'status'>): LedgerMove {
  return { kind: 'dispute_opened', postings: postingsForDisputeOpened(dispute) };
}

/** The decision's move: won returns the reserved amount to available (not the fee); lost sends it to the network. */
export function disputeOutcomeMove(dispute: Omit<DisputeMoney, 'status' | 'feeMinor'>, to: 'won' | 'lost'): LedgerMove {
  return to === 'won'
    ? { kind: 'dispute_won', postings: postingsForDisputeWon(dispute) }
    : { kind: 'dispute_lost', postings: postingsForDisputeLost(dispute) };
}

/** Every move a dispute in its stored status has made: the opening, and the outcome once it is decided. */
export function expectedDisputeMoves(dispute: DisputeMoney): LedgerMove[] {
  const moves = [disputeOpenedMove(dispute)];
  if (dispute.status === 'won' || dispute.status === 'lost') moves.push(disputeOutcomeMove(dispute, dispute.status));
  return moves;
}
