import {
  balancedPostings,
  LedgerInputError,
  merchantAccount,
  type Posting,
  requireAmount,
  requireCurrency,
  requireMerchantId,
  systemAccount,
} from './ledger-transaction';

export interface DisputeInput {
  merchantId: string;
  currency: string;
  /** The disputed amount: the payment's captured minus refunded amount when the dispute opened. */
  amountMinor: number;
}

export interface DisputeOpenedInput extends DisputeInput {
  /** The dispute fee in the currency's minor units (DISPUTE_FEE turned by the currency's exponent); may be 0. */
  feeMinor: number;
}

function validated(input: DisputeInput): DisputeInput {
  return {
    merchantId: requireMerchantId(input.merchantId),
    currency: requireCurrency(input.currency),
    amountMinor: requireAmount(input.amountMinor, 'disputed amount'),
  };
}

/**
 * A dispute opened: the disputed amount leaves available for the dispute reserve, and the fee leaves it for good
 * (dispute_fees). The merchant's available balance may go negative: the cardholder's bank does not wait for it.
 */
export function postingsForDisputeOpened(input: DisputeOpenedInput): Posting[] {
  const { merchantId, currency, amountMinor } = validated(input);
  const { feeMinor } = input;
  if (typeof feeMinor !== 'number' || !Number.isSafeInteger(feeMinor) || feeMinor < 0) {
    throw new LedgerInputError(`a dispute fee is a non-negative safe integer, got ${String(feeMinor)}`);
  }
  const takenMinor = amountMinor + feeMinor;
  if (!Number.isSafeInteger(takenMinor)) {
    throw new LedgerInputError(`the disputed amount and fee ${amountMinor} + ${feeMinor} leave the safe range`);
  }
  const postings: Posting[] = [
    { account: merchantAccount('merchant_available', merchantId, currency), amountMinor: takenMinor },
    { account: merchantAccount('merchant_dispute_reserve', merchantId, currency), amountMinor: -amountMinor },
  ];
  if (feeMinor > 0) postings.push({ account: systemAccount('dispute_fees', currency), amountMinor: -feeMinor });
  return balancedPostings(postings);
}

/** A dispute won: the reserved amount returns to available; the fee does not. */
export function postingsForDisputeWon(input: DisputeInput): Posting[] {
  const { merchantId, currency, amountMinor } = validated(input);
  return balancedPostings([
    { account: merchantAccount('merchant_dispute_reserve', merchantId, currency), amountMinor },
    { account: merchantAccount('merchant_available', merchantId, currency), amountMinor: -amountMinor },
  ]);
}

/**
 * A dispute lost (or accepted by the merchant): the reserved amount goes to the network, which returns it to the
 * cardholder; we owe it to the network from then on (its report lists the dispute on that day).
 */
export function postingsForDisputeLost(input: DisputeInput): Posting[] {
  const { merchantId, currency, amountMinor } = validated(input);
  return balancedPostings([
    { account: merchantAccount('merchant_dispute_reserve', merchantId, currency), amountMinor },
    { account: systemAccount('network_clearing', currency), amountMinor: -amountMinor },
  ]);
}
