import { amountMinorMax } from '../common/money/money.limits';
import { assertBalanced, LedgerInputError } from './ledger-transaction';
import { postingsForNetworkFee } from './network-fee-postings';

describe('postingsForNetworkFee', () => {
  it('books the network fee as our expense, netted from what the network owes us', () => {
    const postings = postingsForNetworkFee({ currency: 'jpy', feeMinor: 12 });
    expect(postings).toEqual([
      { account: { kind: 'network_fees', merchantId: null, currency: 'JPY' }, amountMinor: 12 },
      { account: { kind: 'network_clearing', merchantId: null, currency: 'JPY' }, amountMinor: -12 },
    ]);
    expect(() => assertBalanced(postings)).not.toThrow();
  });

  it.each([0, -3, 0.5, amountMinorMax + 1])('rejects the fee %p (no fee is no transaction)', (feeMinor) => {
    expect(() => postingsForNetworkFee({ currency: 'USD', feeMinor })).toThrow(LedgerInputError);
  });

  it('rejects an unknown currency', () => {
    expect(() => postingsForNetworkFee({ currency: 'ABC', feeMinor: 1 })).toThrow(LedgerInputError);
  });
});
