import fc from 'fast-check';
import { amountMinorMax } from '../common/money/money.limits';
import { type FeeSchedule, type LedgerMove, assertBalanced, feeMinor } from '../ledger/ledger-transaction';
import { CAPTURE_METHODS, type CaptureMethod, PAYMENT_STATUSES, type PaymentStatus } from './payment-status';
import {
  type PaymentMoney,
  type Transition,
  applyChanges,
  assertPaymentMoney,
  authorizationOutcome,
  capture,
  expectedLedger,
  moneyMoved,
  recordedCaptureFee,
  recordedSettlement,
  type RecordedSettlement,
  refund,
  releaseAuthorization,
} from './payment-transitions';
import { sumPostings } from '../ledger/summed-postings';

const merchantId = 'mer_0123456789ABCDEFGHIJabcd';
const fees: FeeSchedule = { percentBasisPoints: 290, fixedMinor: 30 };
const noFees: FeeSchedule = { percentBasisPoints: 0, fixedMinor: 0 };
const wholeAmountFees: FeeSchedule = { percentBasisPoints: 10_000, fixedMinor: 0 };

function payment(overrides: Partial<PaymentMoney> = {}): PaymentMoney {
  return {
    merchantId,
    currency: 'USD',
    status: 'processing',
    captureMethod: 'automatic',
    amount: 1000,
    amountCapturable: 0,
    amountCaptured: 0,
    amountRefunded: 0,
    ...overrides,
  };
}

/** What the verifier reads from a payment's postings when they were made without a settlement delay. */
const atFee = (captureFeeMinor: number): RecordedSettlement => ({
  captureFeeMinor,
  creditTo: 'merchant_available',
  refundedFromPendingMinor: 0,
});

const authorized = (amount = 1000, overrides: Partial<PaymentMoney> = {}) =>
  payment({ status: 'requires_capture', captureMethod: 'manual', amount, amountCapturable: amount, ...overrides });

const succeeded = (amount = 1000, overrides: Partial<PaymentMoney> = {}) =>
  payment({ status: 'succeeded', amount, amountCaptured: amount, ...overrides });

function allowed<T extends object>(transition: Transition<T>) {
  if (!transition.allowed) throw new Error(`refused: ${JSON.stringify(transition.refusal)}`);
  return transition;
}

function net(moves: readonly LedgerMove[] | LedgerMove | null): Record<string, number> {
  const sums = sumPostings(moves === null ? [] : Array.isArray(moves) ? moves : [moves as LedgerMove]);
  return Object.fromEntries(sums);
}

/** Every status × capture method pair a payment row can hold. */
const everyState = PAYMENT_STATUSES.flatMap((status) =>
  CAPTURE_METHODS.map((captureMethod) => [status, captureMethod] as [PaymentStatus, CaptureMethod]),
);

describe('assertPaymentMoney', () => {
  it.each([
    ['a zero amount', { amount: 0 }],
    ['a negative capturable', { amountCapturable: -1 }],
    ['capturable above the amount', { amountCapturable: 1001 }],
    ['captured above the amount', { amountCaptured: 1001 }],
    ['refunded above captured', { amountCaptured: 10, amountRefunded: 11 }],
    ['a fractional amount', { amount: 10.5 }],
    ['an unsafe amount', { amount: Number.MAX_SAFE_INTEGER + 1 }],
    ['an unknown status', { status: 'pending' as PaymentStatus }],
    ['an unknown capture method', { captureMethod: 'later' as CaptureMethod }],
  ])('throws on %s', (_case, overrides) => {
    expect(() => assertPaymentMoney(payment(overrides))).toThrow(RangeError);
  });
});

describe('authorizationOutcome', () => {
  it('captures an approved automatic payment in full, net of the fee', () => {
    const result = allowed(authorizationOutcome(payment(), { approved: true }, fees));
    expect(result.changes).toEqual({
      status: 'succeeded',
      amountCaptured: 1000,
      amountCapturable: 0,
      failureCode: null,
      failureMessage: null,
    });
    expect(result.ledger?.kind).toBe('payment_capture');
    expect(net(result.ledger)).toEqual({
      'payment_capture/network_clearing': 1000,
      'payment_capture/merchant_available': -941,
      'payment_capture/fees_revenue': -59,
    });
  });

  it('credits pending instead of available while a settlement delay runs, for both capture methods', () => {
    const automatic = allowed(authorizationOutcome(payment(), { approved: true }, fees, 'merchant_pending'));
    expect(net(automatic.ledger)).toEqual({
      'payment_capture/network_clearing': 1000,
      'payment_capture/merchant_pending': -941,
      'payment_capture/fees_revenue': -59,
    });
    const manual = allowed(capture(authorized(1000), 600, noFees, 'merchant_pending'));
    expect(net(manual.ledger)).toEqual({
      'payment_capture/authorization_holds': -1000,
      'payment_capture/merchant_authorized': 1000,
      'payment_capture/network_clearing': 600,
      'payment_capture/merchant_pending': -600,
    });
    // A hold is nobody's money yet: no delay applies to it.
    const held = allowed(
      authorizationOutcome(payment({ captureMethod: 'manual' }), { approved: true }, fees, 'merchant_pending'),
    );
    expect(Object.keys(net(held.ledger)).some((key) => key.endsWith('merchant_pending'))).toBe(false);
  });

  it('holds an approved manual payment', () => {
    const result = allowed(authorizationOutcome(payment({ captureMethod: 'manual' }), { approved: true }, fees));
    expect(result.changes).toEqual({
      status: 'requires_capture',
      amountCaptured: 0,
      amountCapturable: 1000,
      failureCode: null,
      failureMessage: null,
    });
    expect(net(result.ledger)).toEqual({
      'authorization_hold/authorization_holds': 1000,
      'authorization_hold/merchant_authorized': -1000,
    });
  });

  it.each(CAPTURE_METHODS)('fails a declined %s payment and moves no money', (captureMethod) => {
    const result = allowed(
      authorizationOutcome(
        payment({ captureMethod }),
        { approved: false, declineCode: 'card_declined', message: 'The card was declined.' },
        fees,
      ),
    );
    expect(result.changes).toEqual({
      status: 'failed',
      amountCaptured: 0,
      amountCapturable: 0,
      failureCode: 'card_declined',
      failureMessage: 'The card was declined.',
    });
    expect(result.ledger).toBeNull();
  });

  it.each([
    [1, noFees, {}],
    [1, fees, { 'payment_capture/fees_revenue': -1 }],
    [1, wholeAmountFees, { 'payment_capture/fees_revenue': -1 }],
    [amountMinorMax, wholeAmountFees, { 'payment_capture/fees_revenue': -amountMinorMax }],
  ])('captures an automatic amount of %d with fees %j', (amount, schedule, feeLines) => {
    const result = allowed(authorizationOutcome(payment({ amount }), { approved: true }, schedule));
    const fee = feeMinor(amount, schedule);
    expect(net(result.ledger)).toEqual({
      'payment_capture/network_clearing': amount,
      ...(amount - fee > 0 ? { 'payment_capture/merchant_available': fee - amount } : {}),
      ...feeLines,
    });
  });

  it.each(everyState.filter(([status]) => status !== 'processing'))(
    'refuses a %s %s payment (the network answered twice)',
    (status, captureMethod) => {
      const current = payment({
        status,
        captureMethod,
        amountCapturable: status === 'requires_capture' ? 1000 : 0,
        amountCaptured: status === 'succeeded' ? 1000 : 0,
      });
      expect(authorizationOutcome(current, { approved: true }, fees)).toEqual({
        allowed: false,
        refusal: { reason: 'state_invalid', status },
      });
    },
  );
});

describe('capture', () => {
  it('captures the whole capturable amount when none is requested', () => {
    const result = allowed(capture(authorized(), undefined, fees));
    expect(result.changes).toEqual({ status: 'succeeded', amountCaptured: 1000, amountCapturable: 0 });
    expect(net(result.ledger)).toEqual({
      'payment_capture/authorization_holds': -1000,
      'payment_capture/merchant_authorized': 1000,
      'payment_capture/network_clearing': 1000,
      'payment_capture/merchant_available': -941,
      'payment_capture/fees_revenue': -59,
    });
  });

  it.each([
    ['one minor unit', 1, 1],
    ['part', 600, 600],
    ['all of it', 1000, 1000],
  ])('captures %s and releases the whole hold', (_case, requested, captured) => {
    const result = allowed(capture(authorized(), requested, noFees));
    expect(result.changes).toEqual({ status: 'succeeded', amountCaptured: captured, amountCapturable: 0 });
    const sums = net(result.ledger);
    expect(sums['payment_capture/merchant_authorized']).toBe(1000);
    expect(sums['payment_capture/network_clearing']).toBe(captured);
    expect(sums['payment_capture/merchant_available']).toBe(-captured);
  });

  it('lets the fee take the whole captured amount', () => {
    const result = allowed(capture(authorized(), 1, wholeAmountFees));
    expect(net(result.ledger)).toEqual({
      'payment_capture/authorization_holds': -1000,
      'payment_capture/merchant_authorized': 1000,
      'payment_capture/network_clearing': 1,
      'payment_capture/fees_revenue': -1,
    });
  });

  it.each([
    [1001, 1000],
    [amountMinorMax, 1000],
  ])('refuses %d of a capturable %d with the message of API.md', (requested, capturable) => {
    expect(capture(authorized(capturable), requested, fees)).toEqual({
      allowed: false,
      refusal: {
        reason: 'amount_too_large',
        message: `The capture amount ${requested} exceeds the capturable amount ${capturable}.`,
      },
    });
  });

  it.each([[0], [-1], [1.5]])('throws on a capture amount of %d (validation lets none through)', (requested) => {
    expect(() => capture(authorized(), requested, fees)).toThrow(RangeError);
  });

  it.each(everyState.filter(([status, method]) => !(status === 'requires_capture' && method === 'manual')))(
    'refuses to capture a %s %s payment',
    (status, captureMethod) => {
      const current = payment({
        status,
        captureMethod,
        amountCapturable: status === 'requires_capture' ? 1000 : 0,
        amountCaptured: status === 'succeeded' ? 1000 : 0,
      });
      expect(capture(current, undefined, fees)).toEqual({
        allowed: false,
        refusal: { reason: 'state_invalid', status },
      });
      expect(capture(current, 5000, fees)).toEqual({ allowed: false, refusal: { reason: 'state_invalid', status } });
    },
  );
});

describe('releaseAuthorization', () => {
  it.each([[1], [1000], [amountMinorMax]])('cancels an authorization of %d and releases its hold', (amount) => {
    const result = allowed(releaseAuthorization(authorized(amount)));
    expect(result.changes).toEqual({ status: 'canceled', amountCapturable: 0 });
    expect(net(result.ledger)).toEqual({
      'authorization_release/authorization_holds': -amount,
      'authorization_release/merchant_authorized': amount,
    });
  });

  it.each(everyState.filter(([status, method]) => !(status === 'requires_capture' && method === 'manual')))(
    'refuses to cancel a %s %s payment',
    (status, captureMethod) => {
      const current = payment({
        status,
        captureMethod,
        amountCapturable: status === 'requires_capture' ? 1000 : 0,
        amountCaptured: status === 'succeeded' ? 1000 : 0,
      });
      expect(releaseAuthorization(current)).toEqual({ allowed: false, refusal: { reason: 'state_invalid', status } });
    },
  );
});

describe('refund', () => {
  it('refunds all that is left when no amount is asked', () => {
    const result = allowed(refund(succeeded(1000, { amountRefunded: 300 }), undefined));
    expect(result.amountMinor).toBe(700);
    expect(result.changes).toEqual({ amountRefunded: 1000 });
    expect(net(result.ledger)).toEqual({ 'refund/merchant_available': 700, 'refund/network_clearing': -700 });
  });

  it.each([
    ['one minor unit', 1, 1],
    ['part', 400, 400],
    ['all of it', 1000, 1000],
  ])('refunds %s', (_case, requested, refunded) => {
    const result = allowed(refund(succeeded(), requested));
    expect(result.changes).toEqual({ amountRefunded: refunded });
  });

  it('refunds a partly captured manual payment up to the captured amount only', () => {
    const current = payment({ status: 'succeeded', captureMethod: 'manual', amountCaptured: 600 });
    expect(allowed(refund(current, 600)).changes).toEqual({ amountRefunded: 600 });
    expect(refund(current, 601)).toEqual({
      allowed: false,
      refusal: { reason: 'amount_too_large', message: 'The refund amount 601 exceeds what is left to refund (600).' },
    });
  });

  it('refunds one unit at a time until nothing is left, then refuses', () => {
    let current = succeeded(5);
    for (let step = 1; step <= 5; step++) {
      const result = allowed(refund(current, 1));
      current = applyChanges(current, result.changes);
      expect(current.amountRefunded).toBe(step);
    }
    expect(refund(current, undefined)).toEqual({
      allowed: false,
      refusal: {
        reason: 'amount_too_large',
        message: 'This payment has been fully refunded; nothing is left to refund.',
      },
    });
    expect(refund(current, 1)).toEqual(refund(current, undefined));
  });

  it('takes a refund from what is still pending of the payment first, the rest from available', () => {
    const whole = allowed(refund(succeeded(1000), 1000, 941));
    expect(whole.fromPendingMinor).toBe(941);
    expect(net(whole.ledger)).toEqual({
      'refund/merchant_pending': 941,
      'refund/merchant_available': 59,
      'refund/network_clearing': -1000,
    });
    const part = allowed(refund(succeeded(1000), 300, 941));
    expect(part.fromPendingMinor).toBe(300);
    expect(net(part.ledger)).toEqual({ 'refund/merchant_pending': 300, 'refund/network_clearing': -300 });
    const released = allowed(refund(succeeded(1000), 300, 0));
    expect(released.fromPendingMinor).toBe(0);
    expect(net(released.ledger)).toEqual({ 'refund/merchant_available': 300, 'refund/network_clearing': -300 });
  });

  it.each([[-1], [1.5], [Number.NaN]])('throws on a pending amount of %d', (pending) => {
    expect(() => refund(succeeded(), 1, pending)).toThrow(RangeError);
  });

  it.each(everyState.filter(([status]) => status !== 'succeeded'))(
    'refuses to refund a %s %s payment',
    (status, captureMethod) => {
      const current = payment({ status, captureMethod, amountCapturable: status === 'requires_capture' ? 1000 : 0 });
      expect(refund(current, 1)).toEqual({ allowed: false, refusal: { reason: 'state_invalid', status } });
    },
  );

  it.each([[0], [-5], [2.5]])('throws on a requested amount of %d (validation lets none through)', (requested) => {
    expect(() => refund(succeeded(), requested)).toThrow(RangeError);
  });
});

describe('applyChanges', () => {
  it('changes only the fields given', () => {
    expect(applyChanges(authorized(), { status: 'canceled', amountCapturable: 0 })).toEqual({
      ...authorized(),
      status: 'canceled',
      amountCapturable: 0,
    });
    expect(applyChanges(succeeded(), {})).toEqual(succeeded());
  });
});

describe('expectedLedger', () => {
  it('rebuilds each reachable state from the transitions that lead to it', () => {
    expect(expectedLedger(payment(), atFee(0))).toEqual([]);
    expect(expectedLedger(payment({ status: 'failed', captureMethod: 'manual' }), atFee(0))).toEqual([]);
    expect(net(expectedLedger(succeeded(1000), atFee(59)))).toEqual({
      'payment_capture/network_clearing': 1000,
      'payment_capture/merchant_available': -941,
      'payment_capture/fees_revenue': -59,
    });
    expect(net(expectedLedger(authorized(1000), atFee(0)))).toEqual({
      'authorization_hold/authorization_holds': 1000,
      'authorization_hold/merchant_authorized': -1000,
    });
    expect(net(expectedLedger(payment({ status: 'canceled', captureMethod: 'manual' }), atFee(0)))).toEqual({
      'authorization_hold/authorization_holds': 1000,
      'authorization_hold/merchant_authorized': -1000,
      'authorization_release/authorization_holds': -1000,
      'authorization_release/merchant_authorized': 1000,
    });
    expect(
      net(
        expectedLedger(
          payment({ status: 'succeeded', captureMethod: 'manual', amountCaptured: 600, amountRefunded: 100 }),
          atFee(600),
        ),
      ),
    ).toEqual({
      'authorization_hold/authorization_holds': 1000,
      'authorization_hold/merchant_authorized': -1000,
      'payment_capture/authorization_holds': -1000,
      'payment_capture/merchant_authorized': 1000,
      'payment_capture/network_clearing': 600,
      'payment_capture/fees_revenue': -600,
      'refund/merchant_available': 100,
      'refund/network_clearing': -100,
    });
  });

  it('rebuilds a capture into pending and refunds taken from pending', () => {
    const delayed = (captureFeeMinor: number, refundedFromPendingMinor: number): RecordedSettlement => ({
      captureFeeMinor,
      creditTo: 'merchant_pending',
      refundedFromPendingMinor,
    });
    expect(net(expectedLedger(succeeded(1000, { amountRefunded: 400 }), delayed(59, 300)))).toEqual({
      'payment_capture/network_clearing': 1000,
      'payment_capture/merchant_pending': -941,
      'payment_capture/fees_revenue': -59,
      'refund/merchant_pending': 300,
      'refund/merchant_available': 100,
      'refund/network_clearing': -400,
    });
    // Refunds from pending beyond the refunded amount, beyond the net capture, or of a capture never pending.
    expect(expectedLedger(succeeded(1000, { amountRefunded: 400 }), delayed(59, 401))).toBeNull();
    expect(expectedLedger(succeeded(1000, { amountRefunded: 1000 }), delayed(59, 942))).toBeNull();
    expect(
      expectedLedger(succeeded(1000, { amountRefunded: 400 }), { ...delayed(0, 100), creditTo: 'merchant_available' }),
    ).toBeNull();
    expect(expectedLedger(succeeded(1000, { amountRefunded: 400 }), delayed(0, -1))).toBeNull();
  });

  it.each([
    ['a processing payment with money captured', payment({ amountCaptured: 5 }), 0],
    ['a failed payment holding money', payment({ status: 'failed', amountCapturable: 5 }), 0],
    ['an automatic payment captured in part', succeeded(1000, { amountCaptured: 999 }), 0],
    ['an automatic payment holding money', succeeded(1000, { amountCapturable: 1 }), 0],
    ['an automatic payment awaiting capture', payment({ status: 'requires_capture', amountCapturable: 1000 }), 0],
    ['an authorization holding less than its amount', authorized(1000, { amountCapturable: 700 }), 0],
    ['an authorization with money captured', authorized(1000, { amountCaptured: 1 }), 0],
    [
      'a canceled payment with money captured',
      payment({ status: 'canceled', captureMethod: 'manual', amountCaptured: 1 }),
      0,
    ],
    [
      'a canceled payment still holding',
      payment({ status: 'canceled', captureMethod: 'manual', amountCapturable: 1 }),
      0,
    ],
    ['a manual payment succeeded with nothing captured', payment({ status: 'succeeded', captureMethod: 'manual' }), 0],
    ['a fee above the captured amount', succeeded(1000), 1001],
    ['a negative fee', succeeded(1000), -1],
    ['refunds above captured', succeeded(1000, { amountRefunded: 1001 }), 0],
  ])('finds no transitions to %s', (_case, state, fee) => {
    expect(expectedLedger(state, atFee(fee))).toBeNull();
  });
});

describe('recordedSettlement', () => {
  it('reads the fee, the account the capture credited and the refunds from pending', () => {
    expect(
      recordedSettlement(
        new Map([
          ['payment_capture/network_clearing', 1000],
          ['payment_capture/merchant_pending', -941],
          ['payment_capture/fees_revenue', -59],
          ['refund/merchant_pending', 300],
        ]),
        1000,
      ),
    ).toEqual({ captureFeeMinor: 59, creditTo: 'merchant_pending', refundedFromPendingMinor: 300 });
    expect(recordedSettlement(new Map([['payment_capture/merchant_available', -1000]]), 1000)).toEqual(atFee(0));
    // A credit to pending by a refund is no refund from pending (expectedLedger then differs from the postings).
    expect(recordedSettlement(new Map([['refund/merchant_pending', -5]]), 0).refundedFromPendingMinor).toBe(0);
  });
});

describe('moneyMoved and recordedCaptureFee', () => {
  it('reads captured, refunded and held money from summed postings', () => {
    const sums = new Map([
      ['payment_capture/network_clearing', 600],
      ['payment_capture/fees_revenue', -47],
      ['refund/network_clearing', -100],
      ['authorization_hold/merchant_authorized', -1000],
      ['payment_capture/merchant_authorized', 1000],
    ]);
    expect(moneyMoved(sums)).toEqual({ captured: 600, refunded: 100, held: 0 });
    expect(moneyMoved(new Map())).toEqual({ captured: 0, refunded: 0, held: 0 });
    expect(recordedCaptureFee(sums, 600)).toBe(47);
    expect(recordedCaptureFee(new Map([['payment_capture/fees_revenue', 5]]), 600)).toBe(0);
    expect(recordedCaptureFee(new Map([['payment_capture/fees_revenue', -700]]), 600)).toBe(600);
  });
});

// Property: any legal sequence of requests keeps the ledger and the payment agreeing.
type Step =
  | { type: 'authorize'; approved: boolean }
  | { type: 'capture'; amount?: number }
  | { type: 'cancel' }
  | { type: 'refund'; amount?: number }
  | { type: 'release' };

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ type: fc.constant('release' as const) }),
  fc.record({ type: fc.constant('authorize' as const), approved: fc.boolean() }),
  fc.record({
    type: fc.constant('capture' as const),
    amount: fc.option(fc.integer({ min: 1, max: 2000 }), { nil: undefined }),
  }),
  fc.record({ type: fc.constant('cancel' as const) }),
  fc.record({
    type: fc.constant('refund' as const),
    amount: fc.option(fc.integer({ min: 1, max: 2000 }), { nil: undefined }),
  }),
);

const feeArbitrary: fc.Arbitrary<FeeSchedule> = fc.record({
  percentBasisPoints: fc.integer({ min: 0, max: 10_000 }),
  fixedMinor: fc.integer({ min: 0, max: 2000 }),
});

describe('any legal order of transitions', () => {
  it('balances per currency, keeps captured ≥ refunded and capturable equal to the money held', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1500 }),
        fc.constantFrom(...CAPTURE_METHODS),
        fc.constantFrom('USD', 'JPY', 'EUR'),
        feeArbitrary,
        fc.array(stepArbitrary, { maxLength: 12 }),
        fc.boolean(),
        (amount, captureMethod, currency, schedule, steps, delayed) => {
          let current = payment({ amount, captureMethod, currency });
          const creditTo = delayed ? 'merchant_pending' : 'merchant_available';
          const recorded: LedgerMove[] = [];
          // What is still pending of this payment: its capture's credit to merchant_pending, less its refunds from
          // there, until the settlement release (a transaction of the merchant's, not of this payment) takes it.
          let pendingMinor = 0;
          for (const step of steps) {
            if (step.type === 'release') {
              pendingMinor = 0;
              continue;
            }
            const transition: Transition<object> =
              step.type === 'authorize'
                ? authorizationOutcome(
                    current,
                    step.approved
                      ? { approved: true }
                      : { approved: false, declineCode: 'card_declined', message: 'no' },
                    schedule,
                    creditTo,
                  )
                : step.type === 'capture'
                  ? capture(current, step.amount, schedule, creditTo)
                  : step.type === 'cancel'
                    ? releaseAuthorization(current)
                    : refund(current, step.amount, pendingMinor);
            if (!transition.allowed) continue;
            if (transition.ledger?.kind === 'payment_capture') {
              pendingMinor = 0 - (sumPostings([transition.ledger]).get('payment_capture/merchant_pending') ?? 0);
            }
            if ('fromPendingMinor' in transition) {
              expect(pendingMinor - (transition.fromPendingMinor as number)).toBeGreaterThanOrEqual(0);
              pendingMinor -= transition.fromPendingMinor as number;
            }
            if (transition.ledger) {
              assertBalanced(transition.ledger.postings);
              recorded.push(transition.ledger);
            }
            current = applyChanges(current, transition.changes);
            assertPaymentMoney(current);

            const all = recorded.flatMap((move) => move.postings);
            const perCurrency = new Map<string, number>();
            for (const posting of all) {
              expect(posting.account.currency).toBe(currency);
              perCurrency.set(currency, (perCurrency.get(currency) ?? 0) + posting.amountMinor);
            }
            for (const sum of perCurrency.values()) expect(sum).toBe(0);
            expect(current.amountCaptured).toBeGreaterThanOrEqual(current.amountRefunded);
            const sums = sumPostings(recorded);
            expect(moneyMoved(sums)).toEqual({
              captured: current.amountCaptured,
              refunded: current.amountRefunded,
              held: current.amountCapturable,
            });
            // The verifier's view: the stored state, with the fee the capture recorded, rebuilds the same postings.
            const expected = expectedLedger(current, recordedSettlement(sums, current.amountCaptured));
            expect(expected).not.toBeNull();
            expect(sumPostings(expected!)).toEqual(sums);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
