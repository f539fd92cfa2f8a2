import {
  balancedPostings,
  merchantAccount,
  type Posting,
  requireAmount,
  requireCurrency,
  requireMerchantId,
} from './ledger-transaction';

export interface SettlementReleaseInput {
  merchantId: string;
  currency: string;
  /** The sum of every amount of the merchant in this currency whose settlement delay has passed. */
  amountMinor: number;
}

/**
 * Pending money whose settlement delay has passed becomes available: one transaction per merchant and currency for
 * everything due at once, not one per payment (the release job is a batch).
 */
export function postingsForSettlementRelease(input: SettlementReleaseInput): Posting[] {
  const merchantId = requireMerchantId(input.merchantId);
  const currency = requireCurrency(input.currency);
  const amountMinor = requireAmount(input.amountMinor, 'released amount');
  return balancedPostings([
    { account: merchantAccount('merchant_pending', merchantId, currency), amountMinor },
    { account: merchantAccount('merchant_available', merchantId, currency), amountMinor: -amountMinor },
  ]);
}
