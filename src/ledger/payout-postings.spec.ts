import fc from 'fast-check';
import { amountMinorMax } from '../common/money/money.limits';
import { assertBalanced, LedgerInputError, type Posting } from './ledger-transaction';
import { postingsForPayoutCreated, postingsForPayoutFailed, postingsForPayoutPaid } from './payout-postings';

const merchantId = 'mer_0123456789ABCDEFGHIJabcd';
const builders = [postingsForPayoutCreated, postingsForPayoutPaid, postingsForPayoutFailed];

function netByKind(postings: readonly Posting[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const posting of postings) {
    result[posting.account.kind] = (result[posting.account.kind] ?? 0) + posting.amountMinor;
  }
  for (const [kind, sum] of Object.entries(result)) if (sum === 0) delete result[kind];
  return result;
}

describe('payout postings', () => {
  it('takes a created payout from available into transit', () => {
    expect(postingsForPayoutCreated({ merchantId, currency: 'usd', amountMinor: 5000 })).toEqual([
      { account: { kind: 'merchant_available', merchantId, currency: 'USD' }, amountMinor: 5000 },
      { account: { kind: 'merchant_payouts_in_transit', merchantId, currency: 'USD' }, amountMinor: -5000 },
    ]);
  });

  it('pays a payout out of transit to the bank', () => {
    expect(postingsForPayoutPaid({ merchantId, currency: 'USD', amountMinor: 5000 })).toEqual([
      { account: { kind: 'merchant_payouts_in_transit', merchantId, currency: 'USD' }, amountMinor: 5000 },
      { account: { kind: 'bank_payouts', merchantId: null, currency: 'USD' }, amountMinor: -5000 },
    ]);
  });

  it('returns a failed payout from transit to available', () => {
    expect(postingsForPayoutFailed({ merchantId, currency: 'USD', amountMinor: 5000 })).toEqual([
      { account: { kind: 'merchant_payouts_in_transit', merchantId, currency: 'USD' }, amountMinor: 5000 },
      { account: { kind: 'merchant_available', merchantId, currency: 'USD' }, amountMinor: -5000 },
    ]);
  });

  it('balances; paid leaves the money at the bank, failed restores available exactly, for any amount', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: amountMinorMax }),
        fc.constantFrom('USD', 'jpy', 'BHD'),
        (amountMinor, currency) => {
          const input = { merchantId, currency, amountMinor };
          for (const build of builders) expect(() => assertBalanced(build(input))).not.toThrow();
          const created = postingsForPayoutCreated(input);
          expect(netByKind([...created, ...postingsForPayoutPaid(input)])).toEqual({
            merchant_available: amountMinor,
            bank_payouts: 0 - amountMinor,
          });
          expect(netByKind([...created, ...postingsForPayoutFailed(input)])).toEqual({});
        },
      ),
    );
  });

  it.each([0, -1, 2.5, amountMinorMax + 1])('rejects the amount %p', (amountMinor) => {
    for (const build of builders) {
      expect(() => build({ merchantId, currency: 'USD', amountMinor })).toThrow(LedgerInputError);
    }
  });

  it('rejects a missing merchant and an unknown currency', () => {
    for (const build of builders) {
      expect(() => build({ merchantId: '', currency: 'USD', amountMinor: 1 })).toThrow(LedgerInputError);
      expect(() => build({ merchantId, currency: 'QQQ', amountMinor: 1 })).toThrow(LedgerInputError);
    }
  });
});
