import {
  balancedPostings,
  merchantAccount,
  type Posting,
  requireAmount,
  requireCurrency,
  requireMerchantId,
  systemAccount,
} from './ledger-transaction';

export interface PayoutInput {
  merchantId: string;
  currency: string;
  amountMinor: number;
}

function validated(input: PayoutInput): PayoutInput {
  return {
    merchantId: requireMerchantId(input.merchantId),
    currency: requireCurrency(input.currency),
    amountMinor: requireAmount(input.amountMinor, 'payout amount'),
  };
}

/**
 * A payout created: its amount leaves the merchant's available balance at once (so no second payout or refund can
 * spend it) and waits in transit, still the merchant's money, until the bank pays it or it fails.
 */
export function postingsForPayoutCreated(input: PayoutInput): Posting[] {
  const { merchantId, currency, amountMinor } = validated(input);
  return balancedPostings([
    { account: merchantAccount('merchant_available', merchantId, currency), amountMinor },
    { account: merchantAccount('merchant_payouts_in_transit', merchantId, currency), amountMinor: -amountMinor },
  ]);
}

/** A payout paid: the money leaves us for the merchant's bank account. */
export function postingsForPayoutPaid(input: PayoutInput): Posting[] {
  const { merchantId, currency, amountMinor } = validated(input);
  return balancedPostings([
    { account: merchantAccount('merchant_payouts_in_transit', merchantId, currency), amountMinor },
    { account: systemAccount('bank_payouts', currency), amountMinor: -amountMinor },
  ]);
}

/** A payout failed (pending or in transit): the reversing transaction returns its amount to available. */
export function postingsForPayoutFailed(input: PayoutInput): Posting[] {
  const { merchantId, currency, amountMinor } = validated(input);
  return balancedPostings([
    { account: merchantAccount('merchant_payouts_in_transit', merchantId, currency), amountMinor },
    { account: merchantAccount('merchant_available', merchantId, currency), amountMinor: -amountMinor },
  ]);
}
