import { balancedPostings, type Posting, requireAmount, requireCurrency, systemAccount } from './ledger-transaction';

export interface NetworkFeeInput {
  currency: string;
  /** The network's fee (interchange on a capture, its fee on a dispute); a zero fee records nothing. */
  feeMinor: number;
}

/**
 * A fee the card network charges us: an expense of ours (network_fees), which the network nets from what it owes
 * us (network_clearing). The merchant's balance does not move: what a merchant pays is our fee (fees_revenue).
 */
export function postingsForNetworkFee(input: NetworkFeeInput): Posting[] {
  const currency = requireCurrency(input.currency);
  const feeMinor = requireAmount(input.feeMinor, 'network fee');
  return balancedPostings([
    { account: systemAccount('network_fees', currency), amountMinor: feeMinor },
    { account: systemAccount('network_clearing', currency), amountMinor: -feeMinor },
  ]);
}
