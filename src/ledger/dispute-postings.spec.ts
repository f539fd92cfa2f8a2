import fc from 'fast-check';
import { amountMinorMax } from '../common/money/money.limits';
import { assertBalanced, LedgerInputError, type Posting } from './ledger-transaction';
import { postingsForDisputeLost, postingsForDisputeOpened, postingsForDisputeWon } from './dispute-postings';

const merchantId = 'mer_0123456789ABCDEFGHIJabcd';
const account = (kind: string, owner: string | null = merchantId) => ({ kind, merchantId: owner, currency: 'USD' });

function netByKind(postings: readonly Posting[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const posting of postings) {
    result[posting.account.kind] = (result[posting.account.kind] ?? 0) + posting.amountMinor;
  }
  for (const [kind, sum] of Object.entries(result)) if (sum === 0) delete result[kind];
  return result;
}

describe('dispute postings', () => {
  it('takes the amount into the reserve and the fee into dispute_fees when a dispute opens', () => {
    expect(postingsForDisputeOpened({ merchantId, currency: 'usd', amountMinor: 1000, feeMinor: 1500 })).toEqual([
      { account: account('merchant_available'), amountMinor: 2500 },
      { account: account('merchant_dispute_reserve'), amountMinor: -1000 },
      { account: account('dispute_fees', null), amountMinor: -1500 },
    ]);
  });

  it('leaves the fee posting out when the fee is zero', () => {
    expect(postingsForDisputeOpened({ merchantId, currency: 'USD', amountMinor: 1000, feeMinor: 0 })).toEqual([
      { account: account('merchant_available'), amountMinor: 1000 },
      { account: account('merchant_dispute_reserve'), amountMinor: -1000 },
    ]);
  });

  it('returns the amount, not the fee, when won; pays it to the network when lost', () => {
    expect(postingsForDisputeWon({ merchantId, currency: 'USD', amountMinor: 1000 })).toEqual([
      { account: account('merchant_dispute_reserve'), amountMinor: 1000 },
      { account: account('merchant_available'), amountMinor: -1000 },
    ]);
    expect(postingsForDisputeLost({ merchantId, currency: 'USD', amountMinor: 1000 })).toEqual([
      { account: account('merchant_dispute_reserve'), amountMinor: 1000 },
      { account: account('network_clearing', null), amountMinor: -1000 },
    ]);
  });

  it('balances, empties the reserve and charges the merchant as the outcome says, for any amount and fee', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: amountMinorMax }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.constantFrom('USD', 'JPY', 'KWD'),
        (amountMinor, feeMinor, currency) => {
          const opened = postingsForDisputeOpened({ merchantId, currency, amountMinor, feeMinor });
          const won = postingsForDisputeWon({ merchantId, currency, amountMinor });
          const lost = postingsForDisputeLost({ merchantId, currency, amountMinor });
          for (const postings of [opened, won, lost]) expect(() => assertBalanced(postings)).not.toThrow();
          const fee = feeMinor === 0 ? {} : { dispute_fees: 0 - feeMinor };
          expect(netByKind([...opened, ...won])).toEqual(
            feeMinor === 0 ? {} : { merchant_available: feeMinor, ...fee },
          );
          expect(netByKind([...opened, ...lost])).toEqual({
            merchant_available: amountMinor + feeMinor,
            network_clearing: 0 - amountMinor,
            ...fee,
          });
        },
      ),
    );
  });

  it.each([0, -1, 2.5, amountMinorMax + 1])('rejects the disputed amount %p', (amountMinor) => {
    expect(() => postingsForDisputeOpened({ merchantId, currency: 'USD', amountMinor, feeMinor: 0 })).toThrow(
      LedgerInputError,
    );
    expect(() => postingsForDisputeWon({ merchantId, currency: 'USD', amountMinor })).toThrow(LedgerInputError);
    expect(() => postingsForDisputeLost({ merchantId, currency: 'USD', amountMinor })).toThrow(LedgerInputError);
  });

  it.each([-1, 0.5, Number.NaN, Number.MAX_SAFE_INTEGER])('rejects the fee %p', (feeMinor) => {
    expect(() => postingsForDisputeOpened({ merchantId, currency: 'USD', amountMinor: 10, feeMinor })).toThrow(
      LedgerInputError,
    );
  });

  it('rejects a missing merchant and an unknown currency', () => {
    expect(() => postingsForDisputeWon({ merchantId: '', currency: 'USD', amountMinor: 1 })).toThrow(LedgerInputError);
    expect(() => postingsForDisputeLost({ merchantId, currency: 'ZZZ', amountMinor: 1 })).toThrow(LedgerInputError);
  });
});
