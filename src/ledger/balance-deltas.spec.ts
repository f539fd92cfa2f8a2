import fc from 'fast-check';
import { type AccountPosting, balanceDeltas } from './balance-deltas';
import { LedgerInputError } from './ledger-transaction';

describe('balanceDeltas', () => {
  it('sums the postings of each account into one delta', () => {
    expect(
      balanceDeltas([
        { accountId: 'acct_b', amountMinor: -900 },
        { accountId: 'acct_a', amountMinor: -1000 },
        { accountId: 'acct_b', amountMinor: -1099 },
        { accountId: 'acct_a', amountMinor: 1000 },
        { accountId: 'acct_c', amountMinor: 5 },
      ]),
    ).toEqual([
      { accountId: 'acct_b', deltaMinor: -1999n },
      { accountId: 'acct_c', deltaMinor: 5n },
    ]);
  });

  it('leaves out an account whose postings cancel out, and answers nothing for no postings', () => {
    expect(
      balanceDeltas([
        { accountId: 'acct_a', amountMinor: 7 },
        { accountId: 'acct_a', amountMinor: -7 },
      ]),
    ).toEqual([]);
    expect(balanceDeltas([])).toEqual([]);
  });

  it('orders the deltas by account id, whatever the order of the postings', () => {
    const deltas = balanceDeltas([
      { accountId: 'acct_Z', amountMinor: 1 },
      { accountId: 'acct_a', amountMinor: 1 },
      { accountId: 'acct_B', amountMinor: 1 },
      { accountId: 'acct_0', amountMinor: 1 },
    ]);
    expect(deltas.map((delta) => delta.accountId)).toEqual(['acct_0', 'acct_B', 'acct_Z', 'acct_a']);
  });

  it('sums beyond the safe integer range without rounding', () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect(
      balanceDeltas([
        { accountId: 'acct_a', amountMinor: max },
        { accountId: 'acct_a', amountMinor: max },
        { accountId: 'acct_a', amountMinor: 1 },
      ]),
    ).toEqual([{ accountId: 'acct_a', deltaMinor: 2n * BigInt(max) + 1n }]);
  });

  it.each([
    ['a zero amount', { accountId: 'acct_a', amountMinor: 0 }],
    ['a fractional amount', { accountId: 'acct_a', amountMinor: 1.5 }],
    ['an unsafe amount', { accountId: 'acct_a', amountMinor: Number.MAX_SAFE_INTEGER + 1 }],
    ['no account', { accountId: '', amountMinor: 1 }],
  ])('refuses %s', (_case, posting) => {
    expect(() => balanceDeltas([posting])).toThrow(LedgerInputError);
  });

  it('changes every balance by exactly what applying the postings one by one would', () => {
    const posting = fc.record({
      accountId: fc.constantFrom('acct_a', 'acct_b', 'acct_c', 'acct_d'),
      amountMinor: fc.integer({ min: -1_000_000, max: 1_000_000 }).filter((amount) => amount !== 0),
    });
    fc.assert(
      fc.property(fc.array(posting, { maxLength: 60 }), (postings: AccountPosting[]) => {
        const oneByOne = new Map<string, bigint>();
        for (const { accountId, amountMinor } of postings) {
          oneByOne.set(accountId, (oneByOne.get(accountId) ?? 0n) + BigInt(amountMinor));
        }
        const deltas = balanceDeltas(postings);
        const batched = new Map(deltas.map((delta) => [delta.accountId, delta.deltaMinor]));
        for (const [accountId, sum] of oneByOne) expect(batched.get(accountId) ?? 0n).toBe(sum);
        expect(deltas.every((delta) => delta.deltaMinor !== 0n)).toBe(true);
        expect(new Set(deltas.map((delta) => delta.accountId)).size).toBe(deltas.length);
        const ids = deltas.map((delta) => delta.accountId);
        expect(ids).toEqual([...ids].sort());
      }),
    );
  });
});
