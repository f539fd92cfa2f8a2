import { merchantAccount, systemAccount } from './ledger-transaction';
import { postingDifferences, sumPostings } from './summed-postings';

describe('sumPostings', () => {
  const available = merchantAccount('merchant_available', 'mer_1', 'USD');
  const clearing = systemAccount('network_clearing', 'USD');

  it('sums per transaction kind and account kind, across moves and currencies', () => {
    const sums = sumPostings([
      {
        kind: 'payment_capture',
        postings: [
          { account: available, amountMinor: -900 },
          { account: clearing, amountMinor: 900 },
        ],
      },
      {
        kind: 'payment_capture',
        postings: [
          { account: available, amountMinor: -100 },
          { account: clearing, amountMinor: 100 },
        ],
      },
      {
        kind: 'refund',
        postings: [
          { account: available, amountMinor: 300 },
          { account: clearing, amountMinor: -300 },
        ],
      },
    ]);
    expect(sums).toEqual(
      new Map([
        ['payment_capture/merchant_available', -1000],
        ['payment_capture/network_clearing', 1000],
        ['refund/merchant_available', 300],
        ['refund/network_clearing', -300],
      ]),
    );
  });

  it('leaves out sums that come to zero, and is empty for no moves', () => {
    const sums = sumPostings([
      {
        kind: 'refund',
        postings: [
          { account: available, amountMinor: 300 },
          { account: clearing, amountMinor: -300 },
        ],
      },
      {
        kind: 'refund',
        postings: [
          { account: available, amountMinor: -300 },
          { account: clearing, amountMinor: 300 },
        ],
      },
    ]);
    expect(sums).toEqual(new Map());
    expect(sumPostings([])).toEqual(new Map());
  });
});

describe('postingDifferences', () => {
  it('lists each key whose sums differ, with 0 for a side that has none, in key order', () => {
    const expected = new Map([
      ['b/x', 5],
      ['a/x', 1],
      ['c/x', 2],
    ]);
    const actual = new Map([
      ['c/x', 2],
      ['a/x', 3],
      ['d/x', 4],
    ]);
    expect(postingDifferences(expected, actual)).toEqual([
      { key: 'a/x', expected: 1, actual: 3 },
      { key: 'b/x', expected: 5, actual: 0 },
      { key: 'd/x', expected: 0, actual: 4 },
    ]);
  });

  it('is empty when both sides agree', () => {
    const sums = new Map([['a/x', 1]]);
    expect(postingDifferences(sums, new Map(sums))).toEqual([]);
  });
});
