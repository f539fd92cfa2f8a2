import fc from 'fast-check';
import { amountMinorMax } from '../common/money/money.limits';
import {
  type AccountKind,
  type AccountRef,
  LedgerImbalanceError,
  LedgerInputError,
  DISPUTE_TRANSACTION_KINDS,
  LEDGER_TRANSACTION_KINDS,
  MERCHANT_ACCOUNT_KINDS,
  PAYMENT_TRANSACTION_KINDS,
  PAYOUT_TRANSACTION_KINDS,
  type Posting,
  SYSTEM_ACCOUNT_KINDS,
  assertBalanced,
  feeMinor,
  merchantAccount,
  merchantBalanceShown,
  percentBasisPointsMax,
  postingsForAuthorizationHold,
  postingsForAutomaticCapture,
  postingsForCapture,
  postingsForHoldRelease,
  postingsForRefund,
  systemAccount,
} from './ledger-transaction';

const merchantId = 'mer_0123456789ABCDEFGHIJabcd';
const maxSafe = Number.MAX_SAFE_INTEGER;

const usd = (kind: AccountKind, owner: string | null = null): AccountRef => ({
  kind,
  merchantId: owner,
  currency: 'USD',
});
const clearingUsd = usd('network_clearing');
const availableUsd = usd('merchant_available', merchantId);

/** The net amount posted to one kind of account (debits minus credits). */
function netOf(postings: readonly Posting[], kind: AccountKind): number {
  return postings.filter((posting) => posting.account.kind === kind).reduce((sum, p) => sum + p.amountMinor, 0);
}

function netByKind(postings: readonly Posting[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const posting of postings) {
    result[posting.account.kind] = (result[posting.account.kind] ?? 0) + posting.amountMinor;
  }
  return result;
}

/** A credit as a signed amount; `0 - x` rather than `-x` so that a zero credit is 0 and not -0. */
const credit = (amountMinor: number): number => 0 - amountMinor;

const amountArbitrary = fc.integer({ min: 1, max: amountMinorMax });
const currencyArbitrary = fc.constantFrom('USD', 'eur', 'JPY', 'kwd', 'XOF');

describe('account kinds', () => {
  it('splits merchant and system accounts', () => {
    expect([...MERCHANT_ACCOUNT_KINDS]).toEqual([
      'merchant_available',
      'merchant_pending',
      'merchant_authorized',
      'merchant_payouts_in_transit',
      'merchant_dispute_reserve',
    ]);
    expect([...SYSTEM_ACCOUNT_KINDS]).toEqual([
      'network_clearing',
      'authorization_holds',
      'fees_revenue',
      'bank_payouts',
      'dispute_fees',
      'network_fees',
    ]);
    expect(MERCHANT_ACCOUNT_KINDS.filter((kind) => (SYSTEM_ACCOUNT_KINDS as readonly string[]).includes(kind))).toEqual(
      [],
    );
  });

  it('names each owner-specific transaction kind among the kinds', () => {
    for (const kind of [...PAYMENT_TRANSACTION_KINDS, ...PAYOUT_TRANSACTION_KINDS, ...DISPUTE_TRANSACTION_KINDS]) {
      expect(LEDGER_TRANSACTION_KINDS).toContain(kind);
    }
    expect(new Set(LEDGER_TRANSACTION_KINDS).size).toBe(LEDGER_TRANSACTION_KINDS.length);
  });

  it('builds account references with the canonical currency', () => {
    expect(merchantAccount('merchant_pending', merchantId, 'usd')).toEqual({
      kind: 'merchant_pending',
      merchantId,
      currency: 'USD',
    });
    expect(systemAccount('fees_revenue', 'jpy')).toEqual({ kind: 'fees_revenue', merchantId: null, currency: 'JPY' });
  });

  it('refuses malformed account references', () => {
    expect(() => merchantAccount('merchant_available', '', 'USD')).toThrow(LedgerInputError);
    expect(() => merchantAccount('merchant_available', merchantId, 'ABC')).toThrow(LedgerInputError);
    expect(() => merchantAccount('network_clearing' as 'merchant_available', merchantId, 'USD')).toThrow(
      LedgerInputError,
    );
    expect(() => systemAccount('merchant_available' as 'fees_revenue', 'USD')).toThrow(LedgerInputError);
    expect(() => systemAccount('fees_revenue', 'XAU')).toThrow(LedgerInputError);
  });
});

describe('assertBalanced', () => {
  it('accepts a debit matched by a credit', () => {
    expect(() =>
      assertBalanced([
        { account: clearingUsd, amountMinor: 1099 },
        { account: availableUsd, amountMinor: -1099 },
      ]),
    ).not.toThrow();
  });

  it('accepts several currencies when each one balances', () => {
    expect(() =>
      assertBalanced([
        { account: clearingUsd, amountMinor: 5 },
        { account: availableUsd, amountMinor: -5 },
        { account: { ...clearingUsd, currency: 'EUR' }, amountMinor: 7 },
        { account: { ...availableUsd, currency: 'EUR' }, amountMinor: -3 },
        { account: { kind: 'fees_revenue', merchantId: null, currency: 'EUR' }, amountMinor: -4 },
      ]),
    ).not.toThrow();
  });

  it('sums exactly beyond the safe range', () => {
    expect(() =>
      assertBalanced([
        { account: clearingUsd, amountMinor: maxSafe },
        { account: clearingUsd, amountMinor: maxSafe },
        { account: availableUsd, amountMinor: -maxSafe },
        { account: availableUsd, amountMinor: -maxSafe },
      ]),
    ).not.toThrow();
  });

  it('is not fooled by floating-point rounding', () => {
    // As floats: (2^53 - 1) + 2 rounds to 2^53, and the running sum ends at 0; exactly, it is 1.
    const postings = [
      { account: clearingUsd, amountMinor: maxSafe },
      { account: clearingUsd, amountMinor: 2 },
      { account: availableUsd, amountMinor: -maxSafe },
      { account: availableUsd, amountMinor: -1 },
    ];
    expect(postings.reduce((sum, posting) => sum + posting.amountMinor, 0)).toBe(0);
    expect(() => assertBalanced(postings)).toThrow(/USD sums to 1/);
  });

  it.each([
    ['no postings', [], /at least 2 postings, got 0/],
    ['one posting', [{ account: clearingUsd, amountMinor: 0 }], /at least 2 postings, got 1/],
    [
      'a debit without its credit',
      [
        { account: clearingUsd, amountMinor: 1000 },
        { account: availableUsd, amountMinor: -999 },
      ],
      /does not balance: USD sums to 1/,
    ],
    [
      'credits larger than debits',
      [
        { account: clearingUsd, amountMinor: 1 },
        { account: availableUsd, amountMinor: -2 },
      ],
      /USD sums to -1/,
    ],
    [
      'two debits',
      [
        { account: clearingUsd, amountMinor: 5 },
        { account: availableUsd, amountMinor: 5 },
      ],
      /USD sums to 10/,
    ],
    [
      'a zero posting',
      [
        { account: clearingUsd, amountMinor: 0 },
        { account: availableUsd, amountMinor: 0 },
      ],
      /posting 0 \(network_clearing\/USD\): amount must be a non-zero safe integer, got 0/,
    ],
    [
      'a float',
      [
        { account: clearingUsd, amountMinor: 10.5 },
        { account: availableUsd, amountMinor: -10.5 },
      ],
      /non-zero safe integer, got 10.5/,
    ],
    [
      'NaN',
      [
        { account: clearingUsd, amountMinor: Number.NaN },
        { account: availableUsd, amountMinor: Number.NaN },
      ],
      /got NaN/,
    ],
    [
      'an amount beyond the safe range',
      [
        { account: clearingUsd, amountMinor: 2 ** 53 },
        { account: availableUsd, amountMinor: -(2 ** 53) },
      ],
      /non-zero safe integer/,
    ],
    [
      'a string amount',
      [
        { account: clearingUsd, amountMinor: '5' },
        { account: availableUsd, amountMinor: -5 },
      ],
      /non-zero safe integer/,
    ],
    [
      'mixed currencies that only balance as numbers',
      [
        { account: clearingUsd, amountMinor: 5 },
        { account: { ...availableUsd, currency: 'EUR' }, amountMinor: -5 },
      ],
      /USD sums to 5, EUR sums to -5/,
    ],
    [
      'a lower-case currency next to the upper-case one',
      [
        { account: clearingUsd, amountMinor: 5 },
        { account: { ...availableUsd, currency: 'usd' }, amountMinor: -5 },
      ],
      /posting 1: merchant_available has an invalid currency "usd"/,
    ],
    [
      'an unknown currency',
      [
        { account: { ...clearingUsd, currency: 'ABC' }, amountMinor: 5 },
        { account: { ...availableUsd, currency: 'ABC' }, amountMinor: -5 },
      ],
      /invalid currency "ABC"/,
    ],
    [
      'a merchant account without a merchant',
      [
        { account: clearingUsd, amountMinor: 5 },
        { account: usd('merchant_available'), amountMinor: -5 },
      ],
      /posting 1: merchant account merchant_available needs a merchant id/,
    ],
    [
      'a merchant account with an empty merchant id',
      [
        { account: clearingUsd, amountMinor: 5 },
        { account: usd('merchant_pending', ''), amountMinor: -5 },
      ],
      /merchant_pending needs a merchant id/,
    ],
    [
      'a system account that belongs to a merchant',
      [
        { account: usd('network_clearing', merchantId), amountMinor: 5 },
        { account: availableUsd, amountMinor: -5 },
      ],
      /posting 0: system account network_clearing must not belong to a merchant/,
    ],
    [
      'an unknown account kind',
      [
        { account: usd('cash' as AccountKind), amountMinor: 5 },
        { account: availableUsd, amountMinor: -5 },
      ],
      /unknown account kind "cash"/,
    ],
    [
      'a posting without an account',
      [{ amountMinor: 5 }, { account: availableUsd, amountMinor: -5 }],
      /posting 0: no account/,
    ],
    ['a null posting', [null, { account: availableUsd, amountMinor: -5 }], /posting 0: not a posting/],
  ])('rejects %s', (_case, postings, message) => {
    const run = (): void => assertBalanced(postings as unknown as Posting[]);
    expect(run).toThrow(LedgerImbalanceError);
    expect(run).toThrow(message);
  });

  it('rejects something that is not a list', () => {
    expect(() => assertBalanced(undefined as unknown as Posting[])).toThrow(/got none/);
  });
});

describe('feeMinor', () => {
  it.each([
    // amount, basis points, fixed, fee
    [1000, 290, 30, 59],
    [1099, 290, 30, 62], // 31.871 -> 32
    [50, 100, 0, 1], // 0.5 rounds up
    [49, 100, 0, 0], // 0.49 rounds down
    [150, 100, 0, 2], // 1.5 -> 2: half up, not half to even
    [250, 100, 0, 3], // 2.5 -> 3: half up, not half to even
    [12_345, 1, 0, 1], // 1.2345 -> 1
    [15_000, 1, 0, 2], // 1.5 -> 2
    [1, 0, 0, 0],
    [1000, 0, 0, 0],
    [1000, 0, 25, 25],
    [10, 290, 30, 10], // capped at the amount
    [30, 0, 30, 30], // exactly the amount
    [29, 0, 30, 29],
    [0, 290, 30, 0],
    [777, 10_000, 0, 777], // 100 %
    [777, 10_000, 5, 777],
    [amountMinorMax, 290, 30, 2_900_000_030], // 2 899 999 999.971 -> 2 900 000 000, plus 30
    [amountMinorMax, 10_000, 0, amountMinorMax],
    [maxSafe, 9_999, 0, 9_006_298_534_815_517], // 9 006 298 534 815 516.9009 -> exact only with integer math
  ])('fee on %i at %i bps + %i is %i', (amountMinor, percentBasisPoints, fixedMinor, expected) => {
    expect(feeMinor(amountMinor, { percentBasisPoints, fixedMinor })).toBe(expected);
  });

  it('rounds half up and caps at the amount, for any valid input', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: maxSafe }),
        fc.integer({ min: 0, max: percentBasisPointsMax }),
        fc.integer({ min: 0, max: maxSafe }),
        (amountMinor, percentBasisPoints, fixedMinor) => {
          const fee = feeMinor(amountMinor, { percentBasisPoints, fixedMinor });
          const product = BigInt(amountMinor) * BigInt(percentBasisPoints);
          const quotient = product / 10_000n;
          const remainder = product % 10_000n;
          const rounded = remainder * 2n >= 10_000n ? quotient + 1n : quotient;
          const uncapped = rounded + BigInt(fixedMinor);
          expect(BigInt(fee)).toBe(uncapped < BigInt(amountMinor) ? uncapped : BigInt(amountMinor));
          expect(Number.isSafeInteger(fee)).toBe(true);
          expect(fee).toBeGreaterThanOrEqual(0);
          expect(fee).toBeLessThanOrEqual(amountMinor);
        },
      ),
    );
  });

  it('never falls when the amount grows', () => {
    fc.assert(
      fc.property(
        amountArbitrary,
        amountArbitrary,
        fc.integer({ min: 0, max: percentBasisPointsMax }),
        fc.integer({ min: 0, max: 1000 }),
        (first, second, percentBasisPoints, fixedMinor) => {
          const [low, high] = first <= second ? [first, second] : [second, first];
          const schedule = { percentBasisPoints, fixedMinor };
          expect(feeMinor(low, schedule)).toBeLessThanOrEqual(feeMinor(high, schedule));
        },
      ),
    );
  });

  it.each([
    ['a negative amount', -1, 290, 30],
    ['a float amount', 10.5, 290, 30],
    ['an unsafe amount', 2 ** 53, 290, 30],
    ['a NaN amount', Number.NaN, 290, 30],
    ['negative basis points', 1000, -1, 30],
    ['basis points above 100 %', 1000, percentBasisPointsMax + 1, 30],
    ['fractional basis points', 1000, 2.5, 30],
    ['NaN basis points', 1000, Number.NaN, 30],
    ['a negative fixed fee', 1000, 290, -1],
    ['a float fixed fee', 1000, 290, 0.5],
    ['an infinite fixed fee', 1000, 290, Number.POSITIVE_INFINITY],
  ])('rejects %s', (_case, amountMinor, percentBasisPoints, fixedMinor) => {
    expect(() => feeMinor(amountMinor, { percentBasisPoints, fixedMinor })).toThrow(LedgerInputError);
  });
});

describe('postingsForAutomaticCapture', () => {
  it('books the amount from the network to the merchant, net of the fee', () => {
    expect(postingsForAutomaticCapture({ merchantId, currency: 'usd', amountMinor: 1099, feeMinor: 62 })).toEqual([
      { account: clearingUsd, amountMinor: 1099 },
      { account: availableUsd, amountMinor: -1037 },
      { account: usd('fees_revenue'), amountMinor: -62 },
    ]);
  });

  it('credits merchant_available by default, merchant_pending while a settlement delay runs', () => {
    const postings = postingsForAutomaticCapture({ merchantId, currency: 'USD', amountMinor: 1000, feeMinor: 59 });
    expect(netByKind(postings)).toEqual({ network_clearing: 1000, merchant_available: -941, fees_revenue: -59 });
    const delayed = postingsForAutomaticCapture({
      merchantId,
      currency: 'USD',
      amountMinor: 1000,
      feeMinor: 59,
      creditTo: 'merchant_pending',
    });
    expect(netByKind(delayed)).toEqual({ network_clearing: 1000, merchant_pending: -941, fees_revenue: -59 });
    const manual = postingsForCapture({
      merchantId,
      currency: 'USD',
      authorizedMinor: 1000,
      capturedMinor: 400,
      feeMinor: 0,
      creditTo: 'merchant_pending',
    });
    expect(netOf(manual, 'merchant_pending')).toBe(-400);
    expect(netOf(manual, 'merchant_available')).toBe(0);
  });

  it('credits captured money to no other account', () => {
    for (const creditTo of ['merchant_authorized', 'fees_revenue', 'merchant_dispute_reserve']) {
      expect(() =>
        postingsForAutomaticCapture({
          merchantId,
          currency: 'USD',
          amountMinor: 10,
          feeMinor: 0,
          creditTo: creditTo as 'merchant_pending',
        }),
      ).toThrow(LedgerInputError);
    }
  });

  it('omits the fee posting when the fee is zero', () => {
    expect(postingsForAutomaticCapture({ merchantId, currency: 'USD', amountMinor: 500, feeMinor: 0 })).toEqual([
      { account: clearingUsd, amountMinor: 500 },
      { account: availableUsd, amountMinor: -500 },
    ]);
  });

  it('omits the merchant posting when the fee takes the whole amount', () => {
    expect(postingsForAutomaticCapture({ merchantId, currency: 'USD', amountMinor: 10, feeMinor: 10 })).toEqual([
      { account: clearingUsd, amountMinor: 10 },
      { account: usd('fees_revenue'), amountMinor: -10 },
    ]);
  });

  it('balances for any amount and fee', () => {
    fc.assert(
      fc.property(
        amountArbitrary.chain((amountMinor) =>
          fc.tuple(fc.constant(amountMinor), fc.integer({ min: 0, max: amountMinor })),
        ),
        currencyArbitrary,
        ([amountMinor, fee], currency) => {
          const postings = postingsForAutomaticCapture({ merchantId, currency, amountMinor, feeMinor: fee });
          expect(() => assertBalanced(postings)).not.toThrow();
          expect(netOf(postings, 'network_clearing')).toBe(amountMinor);
          expect(netOf(postings, 'merchant_available')).toBe(credit(amountMinor - fee));
          expect(netOf(postings, 'merchant_pending')).toBe(0);
          expect(netOf(postings, 'fees_revenue')).toBe(credit(fee));
          for (const posting of postings) {
            expect(posting.amountMinor).not.toBe(0);
            expect(posting.account.currency).toBe(currency.toUpperCase());
          }
        },
      ),
    );
  });

  it.each([
    ['a zero amount', { amountMinor: 0, feeMinor: 0 }, /amount must be a valid amount/],
    ['a negative amount', { amountMinor: -100, feeMinor: 0 }, /amount must be a valid amount/],
    ['a float amount', { amountMinor: 10.5, feeMinor: 0 }, /amount must be a valid amount/],
    ['a string amount', { amountMinor: '100', feeMinor: 0 }, /amount must be a valid amount/],
    ['an amount above the maximum', { amountMinor: amountMinorMax + 1, feeMinor: 0 }, /valid amount/],
    ['a fee above the amount', { amountMinor: 100, feeMinor: 101 }, /fee must be an integer from 0 to the amount 100/],
    ['a negative fee', { amountMinor: 100, feeMinor: -1 }, /fee must be/],
    ['a float fee', { amountMinor: 100, feeMinor: 1.5 }, /fee must be/],
    ['a missing fee', { amountMinor: 100, feeMinor: undefined }, /fee must be/],
    ['an unknown currency', { amountMinor: 100, feeMinor: 0, currency: 'ABC' }, /unknown currency/],
    ['a missing merchant', { amountMinor: 100, feeMinor: 0, merchantId: '' }, /merchant id is required/],
    ['a null merchant', { amountMinor: 100, feeMinor: 0, merchantId: null }, /merchant id is required/],
  ])('rejects %s', (_case, overrides, message) => {
    const input = { merchantId, currency: 'USD', ...overrides } as unknown as Parameters<
      typeof postingsForAutomaticCapture
    >[0];
    expect(() => postingsForAutomaticCapture(input)).toThrow(LedgerInputError);
    expect(() => postingsForAutomaticCapture(input)).toThrow(message);
  });
});

describe('postingsForAuthorizationHold and postingsForHoldRelease', () => {
  it('records the hold outside the merchant balance', () => {
    expect(postingsForAuthorizationHold({ merchantId, currency: 'usd', amountMinor: 1099 })).toEqual([
      { account: usd('authorization_holds'), amountMinor: 1099 },
      { account: usd('merchant_authorized', merchantId), amountMinor: -1099 },
    ]);
  });

  it('reverses the hold exactly', () => {
    expect(postingsForHoldRelease({ merchantId, currency: 'USD', authorizedMinor: 1099 })).toEqual([
      { account: usd('authorization_holds'), amountMinor: -1099 },
      { account: usd('merchant_authorized', merchantId), amountMinor: 1099 },
    ]);
  });

  it('leaves every account at zero after hold and release, for any amount', () => {
    fc.assert(
      fc.property(amountArbitrary, currencyArbitrary, (amountMinor, currency) => {
        const hold = postingsForAuthorizationHold({ merchantId, currency, amountMinor });
        const release = postingsForHoldRelease({ merchantId, currency, authorizedMinor: amountMinor });
        expect(() => assertBalanced(hold)).not.toThrow();
        expect(() => assertBalanced(release)).not.toThrow();
        for (const net of Object.values(netByKind([...hold, ...release]))) {
          expect(net).toBe(0);
        }
        expect(netOf(hold, 'merchant_available')).toBe(0);
        expect(netOf(hold, 'merchant_pending')).toBe(0);
      }),
    );
  });

  it.each([0, -1, 1.5, amountMinorMax + 1])('rejects the amount %p', (amountMinor) => {
    expect(() => postingsForAuthorizationHold({ merchantId, currency: 'USD', amountMinor })).toThrow(LedgerInputError);
    expect(() => postingsForHoldRelease({ merchantId, currency: 'USD', authorizedMinor: amountMinor })).toThrow(
      LedgerInputError,
    );
  });

  it('rejects a missing merchant and an unknown currency', () => {
    expect(() => postingsForAuthorizationHold({ merchantId: '', currency: 'USD', amountMinor: 1 })).toThrow(
      LedgerInputError,
    );
    expect(() => postingsForHoldRelease({ merchantId, currency: 'XXX', authorizedMinor: 1 })).toThrow(LedgerInputError);
  });
});

describe('postingsForCapture', () => {
  it('releases the whole hold and books a partial capture', () => {
    const postings = postingsForCapture({
      merchantId,
      currency: 'USD',
      authorizedMinor: 1000,
      capturedMinor: 800,
      feeMinor: 53,
    });
    expect(postings).toEqual([
      { account: usd('authorization_holds'), amountMinor: -1000 },
      { account: usd('merchant_authorized', merchantId), amountMinor: 1000 },
      { account: clearingUsd, amountMinor: 800 },
      { account: availableUsd, amountMinor: -747 },
      { account: usd('fees_revenue'), amountMinor: -53 },
    ]);
  });

  it('balances, empties the hold and books the capture, for any valid amounts', () => {
    fc.assert(
      fc.property(
        amountArbitrary.chain((authorizedMinor) =>
          fc
            .integer({ min: 1, max: authorizedMinor })
            .chain((capturedMinor) =>
              fc.tuple(
                fc.constant(authorizedMinor),
                fc.constant(capturedMinor),
                fc.integer({ min: 0, max: capturedMinor }),
              ),
            ),
        ),
        currencyArbitrary,
        ([authorizedMinor, capturedMinor, fee], currency) => {
          const hold = postingsForAuthorizationHold({ merchantId, currency, amountMinor: authorizedMinor });
          const capture = postingsForCapture({
            merchantId,
            currency,
            authorizedMinor,
            capturedMinor,
            feeMinor: fee,
          });
          expect(() => assertBalanced(capture)).not.toThrow();
          const both = [...hold, ...capture];
          expect(netOf(both, 'merchant_authorized')).toBe(0);
          expect(netOf(both, 'authorization_holds')).toBe(0);
          expect(netOf(both, 'network_clearing')).toBe(capturedMinor);
          expect(netOf(both, 'merchant_available')).toBe(credit(capturedMinor - fee));
          expect(netOf(both, 'fees_revenue')).toBe(credit(fee));
        },
      ),
    );
  });

  it.each([
    [
      'a capture above the authorization',
      { capturedMinor: 1001 },
      /captured amount 1001 exceeds the authorized amount 1000/,
    ],
    ['a zero capture', { capturedMinor: 0 }, /captured amount must be a valid amount/],
    ['a negative capture', { capturedMinor: -5 }, /captured amount must be a valid amount/],
    ['a float capture', { capturedMinor: 5.5 }, /captured amount must be a valid amount/],
    ['a zero authorization', { authorizedMinor: 0, capturedMinor: 0 }, /authorized amount must be a valid amount/],
    [
      'a fee above the capture',
      { capturedMinor: 800, feeMinor: 801 },
      /fee must be an integer from 0 to the amount 800/,
    ],
    ['an unknown currency', { currency: 'usd1' }, /unknown currency/],
    ['a missing merchant', { merchantId: '' }, /merchant id is required/],
  ])('rejects %s', (_case, overrides, message) => {
    const input = { merchantId, currency: 'USD', authorizedMinor: 1000, capturedMinor: 800, feeMinor: 0, ...overrides };
    expect(() => postingsForCapture(input)).toThrow(LedgerInputError);
    expect(() => postingsForCapture(input)).toThrow(message);
  });
});

describe('postingsForRefund', () => {
  it('pays the refund from available money back through the network', () => {
    expect(postingsForRefund({ merchantId, currency: 'usd', amountMinor: 500 })).toEqual([
      { account: availableUsd, amountMinor: 500 },
      { account: clearingUsd, amountMinor: -500 },
    ]);
  });

  it('takes the part still pending from merchant_pending, the rest from available', () => {
    expect(postingsForRefund({ merchantId, currency: 'usd', amountMinor: 500, fromPendingMinor: 200 })).toEqual([
      { account: usd('merchant_pending', merchantId), amountMinor: 200 },
      { account: availableUsd, amountMinor: 300 },
      { account: clearingUsd, amountMinor: -500 },
    ]);
    expect(postingsForRefund({ merchantId, currency: 'usd', amountMinor: 500, fromPendingMinor: 500 })).toEqual([
      { account: usd('merchant_pending', merchantId), amountMinor: 500 },
      { account: clearingUsd, amountMinor: -500 },
    ]);
  });

  it.each([-1, 501, 1.5, Number.NaN])('rejects %p from pending of a refund of 500', (fromPendingMinor) => {
    expect(() => postingsForRefund({ merchantId, currency: 'USD', amountMinor: 500, fromPendingMinor })).toThrow(
      LedgerInputError,
    );
  });

  it('balances, and moves exactly the refund out of the merchant accounts, for any split', () => {
    fc.assert(
      fc.property(
        amountArbitrary.chain((amountMinor) =>
          fc.tuple(fc.constant(amountMinor), fc.integer({ min: 0, max: amountMinor })),
        ),
        currencyArbitrary,
        ([amountMinor, fromPendingMinor], currency) => {
          const postings = postingsForRefund({ merchantId, currency, amountMinor, fromPendingMinor });
          expect(() => assertBalanced(postings)).not.toThrow();
          expect(netOf(postings, 'merchant_pending')).toBe(fromPendingMinor);
          expect(netOf(postings, 'merchant_available')).toBe(amountMinor - fromPendingMinor);
          expect(netOf(postings, 'network_clearing')).toBe(credit(amountMinor));
          expect(postings.every((posting) => posting.amountMinor !== 0)).toBe(true);
        },
      ),
    );
  });

  it('keeps our fee: a captured and fully refunded payment leaves the merchant at minus the fee', () => {
    fc.assert(
      fc.property(
        amountArbitrary.chain((amountMinor) =>
          fc.tuple(fc.constant(amountMinor), fc.integer({ min: 0, max: amountMinor })),
        ),
        fc.integer({ min: 1, max: 5 }),
        ([amountMinor, fee], refundCount) => {
          const capture = postingsForAutomaticCapture({ merchantId, currency: 'USD', amountMinor, feeMinor: fee });
          // Split the whole amount into up to refundCount refunds of at least 1.
          const parts = Math.min(refundCount, amountMinor);
          const refunds = Array.from({ length: parts }, (_, index) => {
            const share = Math.floor(amountMinor / parts) + (index < amountMinor % parts ? 1 : 0);
            return postingsForRefund({ merchantId, currency: 'USD', amountMinor: share });
          });
          for (const refund of refunds) {
            expect(() => assertBalanced(refund)).not.toThrow();
          }
          const all = [...capture, ...refunds.flat()];
          expect(netOf(all, 'merchant_available')).toBe(fee);
          expect(netOf(all, 'network_clearing')).toBe(0);
          expect(netOf(all, 'fees_revenue')).toBe(credit(fee));
        },
      ),
    );
  });

  it.each([0, -1, 1.5, '5', amountMinorMax + 1])('rejects the amount %p', (amountMinor) => {
    expect(() => postingsForRefund({ merchantId, currency: 'USD', amountMinor: amountMinor as number })).toThrow(
      LedgerInputError,
    );
  });

  it('rejects a missing merchant and an unknown currency', () => {
    expect(() => postingsForRefund({ merchantId: '', currency: 'USD', amountMinor: 1 })).toThrow(LedgerInputError);
    expect(() => postingsForRefund({ merchantId, currency: 'ABC', amountMinor: 1 })).toThrow(LedgerInputError);
  });
});

describe('merchantBalanceShown', () => {
  it.each([
    [-900, 900],
    [0, 0],
    [250, -250],
    [-maxSafe, maxSafe],
  ])('shows postings summing to %d as %d', (sum, shown) => {
    expect(Object.is(merchantBalanceShown(sum), shown)).toBe(true);
  });

  it.each([[1.5], [Number.NaN], [maxSafe + 1]])('rejects %d', (sum) => {
    expect(() => merchantBalanceShown(sum)).toThrow(LedgerInputError);
  });
});
