import fc from 'fast-check';
import { amountMinorMax } from '../common/money/money.limits';
import { assertBalanced, LedgerInputError, type Posting, postingsForAutomaticCapture } from './ledger-transaction';
import { postingsForSettlementRelease } from './settlement-postings';

const merchantId = 'mer_0123456789ABCDEFGHIJabcd';

function netOf(postings: readonly Posting[], kind: string): number {
  return postings.filter((posting) => posting.account.kind === kind).reduce((sum, p) => sum + p.amountMinor, 0);
}

describe('postingsForSettlementRelease', () => {
  it('moves the due amount from pending to available, in the canonical currency', () => {
    expect(postingsForSettlementRelease({ merchantId, currency: 'eur', amountMinor: 1882 })).toEqual([
      { account: { kind: 'merchant_pending', merchantId, currency: 'EUR' }, amountMinor: 1882 },
      { account: { kind: 'merchant_available', merchantId, currency: 'EUR' }, amountMinor: -1882 },
    ]);
  });

  it('after captures into pending, leaves pending at zero and available at their net sum, for any captures', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc
            .integer({ min: 1, max: 1_000_000 })
            .chain((amountMinor) => fc.tuple(fc.constant(amountMinor), fc.integer({ min: 0, max: amountMinor - 1 }))),
          { minLength: 1, maxLength: 20 },
        ),
        fc.constantFrom('USD', 'JPY', 'KWD'),
        (captures, currency) => {
          const captured = captures.flatMap(([amountMinor, feeMinor]) =>
            postingsForAutomaticCapture({ merchantId, currency, amountMinor, feeMinor, creditTo: 'merchant_pending' }),
          );
          const dueMinor = -netOf(captured, 'merchant_pending');
          const release = postingsForSettlementRelease({ merchantId, currency, amountMinor: dueMinor });
          expect(() => assertBalanced(release)).not.toThrow();
          const all = [...captured, ...release];
          expect(netOf(all, 'merchant_pending')).toBe(0);
          expect(-netOf(all, 'merchant_available')).toBe(
            captures.reduce((sum, [amountMinor, feeMinor]) => sum + amountMinor - feeMinor, 0),
          );
        },
      ),
    );
  });

  it.each([0, -1, 1.5, amountMinorMax + 1])('rejects the amount %p (nothing due is no transaction)', (amountMinor) => {
    expect(() => postingsForSettlementRelease({ merchantId, currency: 'USD', amountMinor })).toThrow(LedgerInputError);
  });

  it('rejects a missing merchant and an unknown currency', () => {
    expect(() => postingsForSettlementRelease({ merchantId: '', currency: 'USD', amountMinor: 1 })).toThrow(
      LedgerInputError,
    );
    expect(() => postingsForSettlementRelease({ merchantId, currency: 'XYZ', amountMinor: 1 })).toThrow(
      LedgerInputError,
    );
  });
});
