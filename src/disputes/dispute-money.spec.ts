import { sumPostings } from '../ledger/summed-postings';
import { LedgerInputError } from '../ledger/ledger-transaction';
import {
  disputedAmountMinor,
  disputeFeeMinor,
  disputeOpenedMove,
  disputeOutcomeMove,
  expectedDisputeMoves,
} from './dispute-money';

const dispute = { merchantId: 'mer_1', currency: 'USD', amountMinor: 2500, feeMinor: 1500 };

describe('dispute money', () => {
  it('turns DISPUTE_FEE major units into minor units by the currency exponent', () => {
    expect(disputeFeeMinor(15, 'USD')).toBe(1500);
    expect(disputeFeeMinor(15, 'usd')).toBe(1500);
    expect(disputeFeeMinor(15, 'JPY')).toBe(15);
    expect(disputeFeeMinor(15, 'KWD')).toBe(15_000);
    expect(disputeFeeMinor(0, 'EUR')).toBe(0);
  });

  it('refuses a fee that is not whole major units, and an unknown currency', () => {
    expect(() => disputeFeeMinor(12.5, 'USD')).toThrow(LedgerInputError);
    expect(() => disputeFeeMinor(-1, 'USD')).toThrow(LedgerInputError);
    expect(() => disputeFeeMinor(Number.MAX_SAFE_INTEGER, 'USD')).toThrow(/safe range/);
    expect(() => disputeFeeMinor(15, 'XXY')).toThrow(RangeError);
  });

  it('disputes what was captured and not refunded', () => {
    expect(disputedAmountMinor(2500, 0)).toBe(2500);
    expect(disputedAmountMinor(2500, 400)).toBe(2100);
    expect(disputedAmountMinor(2500, 2500)).toBe(0);
    expect(() => disputedAmountMinor(2500, 2501)).toThrow(/exceeds/);
    expect(() => disputedAmountMinor(2500, -1)).toThrow(LedgerInputError);
    expect(() => disputedAmountMinor(2500.5, 0)).toThrow(LedgerInputError);
  });

  it('opens with amount + fee out of available, the amount to the reserve and the fee to dispute fees', () => {
    expect(sumPostings([disputeOpenedMove(dispute)])).toEqual(
      new Map([
        ['dispute_opened/merchant_available', 4000],
        ['dispute_opened/merchant_dispute_reserve', -2500],
        ['dispute_opened/dispute_fees', -1500],
      ]),
    );
  });

  it('returns the amount (not the fee) when won, and sends it to the network when lost', () => {
    expect(sumPostings([disputeOutcomeMove(dispute, 'won')])).toEqual(
      new Map([
        ['dispute_won/merchant_dispute_reserve', 2500],
        ['dispute_won/merchant_available', -2500],
      ]),
    );
    expect(sumPostings([disputeOutcomeMove(dispute, 'lost')])).toEqual(
      new Map([
        ['dispute_lost/merchant_dispute_reserve', 2500],
        ['dispute_lost/network_clearing', -2500],
      ]),
    );
  });

  it.each([
    ['needs_response', ['dispute_opened']],
    ['under_review', ['dispute_opened']],
    ['won', ['dispute_opened', 'dispute_won']],
    ['lost', ['dispute_opened', 'dispute_lost']],
  ] as const)('expects the moves of a dispute %s', (status, kinds) => {
    expect(expectedDisputeMoves({ ...dispute, status }).map((move) => move.kind)).toEqual(kinds);
  });

  it('nets a won dispute to the fee alone, and a lost one to amount + fee, out of available', () => {
    const available = (status: 'won' | 'lost') =>
      expectedDisputeMoves({ ...dispute, status })
        .flatMap((move) => move.postings)
        .filter((posting) => posting.account.kind === 'merchant_available')
        .reduce((sum, posting) => sum + posting.amountMinor, 0);
    expect(available('won')).toBe(1500);
    expect(available('lost')).toBe(4000);
  });
});
