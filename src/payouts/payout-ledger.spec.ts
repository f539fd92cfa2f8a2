import { assertBalanced } from '../ledger/ledger-transaction';
import { postingDifferences, sumPostings } from '../ledger/summed-postings';
import { expectedPayoutLedger, type PayoutMoney } from './payout-ledger';
import { PAYOUT_STATUSES } from './payout-status';

const payout = (status: PayoutMoney['status']): PayoutMoney => ({
  merchantId: 'mer_1',
  currency: 'USD',
  amountMinor: 5000,
  status,
});

describe('a payout’s expected ledger', () => {
  it.each(PAYOUT_STATUSES)('balances every transaction of a %s payout', (status) => {
    for (const move of expectedPayoutLedger(payout(status))) assertBalanced(move.postings);
  });

  it('holds the amount in transit while pending or in transit', () => {
    for (const status of ['pending', 'in_transit'] as const) {
      expect(sumPostings(expectedPayoutLedger(payout(status)))).toEqual(
        new Map([
          ['payout_created/merchant_available', 5000],
          ['payout_created/merchant_payouts_in_transit', -5000],
        ]),
      );
    }
  });

  it('moves a paid payout out to the bank', () => {
    expect(sumPostings(expectedPayoutLedger(payout('paid')))).toEqual(
      new Map([
        ['payout_created/merchant_available', 5000],
        ['payout_created/merchant_payouts_in_transit', -5000],
        ['payout_paid/merchant_payouts_in_transit', 5000],
        ['payout_paid/bank_payouts', -5000],
      ]),
    );
  });

  it('returns a failed payout’s amount to available', () => {
    const moves = expectedPayoutLedger(payout('failed'));
    expect(moves.map((move) => move.kind)).toEqual(['payout_created', 'payout_failed']);
    expect(sumPostings(moves).get('payout_failed/merchant_available')).toBe(-5000);
    // Across both transactions, available is back where it was and nothing stays in transit.
    const net = new Map<string, number>();
    for (const move of moves) {
      for (const posting of move.postings) {
        net.set(posting.account.kind, (net.get(posting.account.kind) ?? 0) + posting.amountMinor);
      }
    }
    expect(net).toEqual(
      new Map([
        ['merchant_available', 0],
        ['merchant_payouts_in_transit', 0],
      ]),
    );
  });
});

describe('posting differences', () => {
  it('lists the keys that differ, with 0 for a missing side, in key order', () => {
    const expected = new Map([
      ['b', 1],
      ['a', 2],
    ]);
    const actual = new Map([
      ['a', 2],
      ['c', 3],
    ]);
    expect(postingDifferences(expected, actual)).toEqual([
      { key: 'b', expected: 1, actual: 0 },
      { key: 'c', expected: 0, actual: 3 },
    ]);
    expect(postingDifferences(expected, new Map(expected))).toEqual([]);
  });

  it('leaves zero sums out', () => {
    expect(sumPostings([])).toEqual(new Map());
  });
});
