// The money rules of a payment's transitions, decided without I/O: for a payment's current money state and a
// request, what changes on the payment row and what the ledger records. The services only load and lock the row,
// call one of these, write the changes and record the ledger move; the ledger verifier derives a payment's
// expected postings from its stored state with the same builders (`expectedLedger`).
import {
  type FeeSchedule,
  type LedgerMove,
  feeMinor,
  postingsForAuthorizationHold,
  postingsForAutomaticCapture,
  postingsForCapture,
  postingsForHoldRelease,
  postingsForRefund,
  type SettlementAccountKind,
} from '../ledger/ledger-transaction';
import type { PostingSums } from '../ledger/summed-postings';
import { refundAmount } from './refund-amount';
import {
  type CaptureMethod,
  type PaymentStatus,
  canTransition,
  isCaptureMethod,
  isPaymentStatus,
  statusAfterAuthorization,
} from './payment-status';

/** What the money rules read of a payment: amounts in minor units, as safe integers. */
export interface PaymentMoney {
  merchantId: string;
  currency: string;
  status: PaymentStatus;
  captureMethod: CaptureMethod;
  amount: number;
  amountCapturable: number;
  amountCaptured: number;
  amountRefunded: number;
}

/** The payment fields a transition sets; a field left out keeps its value. */
export interface PaymentChanges {
  status?: PaymentStatus;
  amountCapturable?: number;
  amountCaptured?: number;
  amountRefunded?: number;
  failureCode?: string | null;
  failureMessage?: string | null;
}

/** Why a request may not move the payment: the services answer 409 payment_state_invalid or 422 amount_too_large. */
export type TransitionRefusal =
  { reason: 'state_invalid'; status: PaymentStatus } | { reason: 'amount_too_large'; message: string };

/** A transition's outcome: the payment changes and the ledger move (null when no money moves, as on a decline). */
export type Transition<Extra = object> =
  | ({ allowed: true; changes: PaymentChanges; ledger: LedgerMove | null } & Extra)
  | { allowed: false; refusal: TransitionRefusal };

/** The card network's answer to an authorization, or a failure decided without one. */
export type AuthorizationAnswer = { approved: true } | { approved: false; declineCode: string; message: string };

function assertAmount(value: number, name: string, min = 0): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be a safe integer of at least ${min}, got ${String(value)}`);
  }
}

/**
 * Throws unless the payment's money state is one its transitions can reach: amounts are non-negative safe
 * integers with capturable, captured ≤ amount and refunded ≤ captured. A row breaking these is corrupt, not a
 * request to refuse.
 */
export function assertPaymentMoney(payment: PaymentMoney): void {
  if (!isPaymentStatus(payment.status) || !isCaptureMethod(payment.captureMethod)) {
    throw new RangeError(
      `unknown status or capture method: ${String(payment.status)}/${String(payment.captureMethod)}`,
    );
  }
  assertAmount(payment.amount, 'amount', 1);
  assertAmount(payment.amountCapturable, 'amount_capturable');
  assertAmount(payment.amountCaptured, 'amount_captured');
  assertAmount(payment.amountRefunded, 'amount_refunded');
  if (payment.amountCapturable > payment.amount || payment.amountCaptured > payment.amount) {
    throw new RangeError(
      `capturable ${payment.amountCapturable} or captured ${payment.amountCaptured} exceeds the amount`,
    );
  }
  if (payment.amountRefunded > payment.amountCaptured) {
    throw new RangeError(`refunded ${payment.amountRefunded} exceeds captured ${payment.amountCaptured}`);
  }
}

function refuseState(payment: PaymentMoney): { allowed: false; refusal: TransitionRefusal } {
  return { allowed: false, refusal: { reason: 'state_invalid', status: payment.status } };
}

/**
 * A `processing` payment once the card network has answered: approved and automatic → succeeded, the whole amount
 * captured net of the fee; approved and manual → requires_capture, the amount held; declined → failed, no money moves.
 * `creditTo`: where captured money goes, merchant_pending while a settlement delay runs.
 */
export function authorizationOutcome(
  payment: PaymentMoney,
  answer: AuthorizationAnswer,
  fees: FeeSchedule,
  creditTo: SettlementAccountKind = 'merchant_available',
): Transition {
  assertPaymentMoney(payment);
  if (payment.status !== 'processing') return refuseState(payment);
  const status = statusAfterAuthorization(payment.captureMethod, answer.approved);
  if (!canTransition(payment.captureMethod, 'processing', status)) return refuseState(payment);
  const money = { merchantId: payment.merchantId, currency: payment.currency };
  const failure = answer.approved
    ? { failureCode: null, failureMessage: null }
    : { failureCode: answer.declineCode, failureMessage: answer.message };
  if (status === 'succeeded') {
    return {
      allowed: true,
      changes: { status, amountCaptured: payment.amount, amountCapturable: 0, ...failure },
      ledger: {
        kind: 'payment_capture',
        postings: postingsForAutomaticCapture({
          ...money,
          amountMinor: payment.amount,
          feeMinor: feeMinor(payment.amount, fees),
          creditTo,
        }),
      },
    };
  }
  if (status === 'requires_capture') {
    return {
      allowed: true,
      changes: { status, amountCaptured: 0, amountCapturable: payment.amount, ...failure },
      ledger: {
        kind: 'authorization_hold',
        postings: postingsForAuthorizationHold({ ...money, amountMinor: payment.amount }),
      },
    };
  }
  return { allowed: true, changes: { status, amountCaptured: 0, amountCapturable: 0, ...failure }, ledger: null };
}

/**
 * Captures all (`requestedMinor` undefined) or part of a manual authorization: the payment succeeds with the amount
 * captured, and the whole hold is released (an uncaptured rest is never captured later). More than the capturable
 * amount is refused. `creditTo` as for authorizationOutcome.
 */
export function capture(
  payment: PaymentMoney,
  requestedMinor: number | undefined,
  fees: FeeSchedule,
  creditTo: SettlementAccountKind = 'merchant_available',
): Transition {
  assertPaymentMoney(payment);
  if (payment.status !== 'requires_capture' || !canTransition(payment.captureMethod, payment.status, 'succeeded')) {
    return refuseState(payment);
  }
  const capturable = payment.amountCapturable;
  const captured = requestedMinor ?? capturable;
  assertAmount(captured, 'a capture amount', 1);
  if (captured > capturable) {
    return {
      allowed: false,
      refusal: {
        reason: 'amount_too_large',
        message: `The capture amount ${captured} exceeds the capturable amount ${capturable}.`,
      },
    };
  }
  return {
    allowed: true,
    changes: { status: 'succeeded', amountCaptured: captured, amountCapturable: 0 },
    ledger: {
      kind: 'payment_capture',
      postings: postingsForCapture({
        merchantId: payment.merchantId,
        currency: payment.currency,
        authorizedMinor: capturable,
        capturedMinor: captured,
        feeMinor: feeMinor(captured, fees),
        creditTo,
      }),
    },
  };
}

/** Cancels a manual authorization, on request or at its expiry: the payment is canceled and its hold released. */
export function releaseAuthorization(payment: PaymentMoney): Transition {
  assertPaymentMoney(payment);
  if (payment.status !== 'requires_capture' || !canTransition(payment.captureMethod, payment.status, 'canceled')) {
    return refuseState(payment);
  }
  return {
    allowed: true,
    changes: { status: 'canceled', amountCapturable: 0 },
    ledger: {
      kind: 'authorization_release',
      postings: postingsForHoldRelease({
        merchantId: payment.merchantId,
        currency: payment.currency,
        authorizedMinor: payment.amountCapturable,
      }),
    },
  };
}

/**
 * Refunds part (`requestedMinor`) or all that is left of a succeeded payment's captured money (refund-amount.ts):
 * amount_refunded grows by the refund, which is paid back to the network from the merchant's money: from what is
 * still pending of this payment (`pendingMinor`, 0 without a settlement delay or once released) first, the rest
 * from available. The transition says how much it took from pending (`fromPendingMinor`).
 */
export function refund(
  payment: PaymentMoney,
  requestedMinor: number | undefined,
  pendingMinor = 0,
): Transition<{ amountMinor: number; fromPendingMinor: number }> {
  assertPaymentMoney(payment);
  assertAmount(pendingMinor, 'the pending amount');
  if (payment.status !== 'succeeded') return refuseState(payment);
  const decision = refundAmount(payment.amountCaptured, payment.amountRefunded, requestedMinor);
  if (!decision.allowed) return { allowed: false, refusal: { reason: 'amount_too_large', message: decision.message } };
  const { amountMinor } = decision;
  const fromPendingMinor = Math.min(amountMinor, pendingMinor);
  return {
    allowed: true,
    amountMinor,
    fromPendingMinor,
    changes: { amountRefunded: payment.amountRefunded + amountMinor },
    ledger: {
      kind: 'refund',
      postings: postingsForRefund({
        merchantId: payment.merchantId,
        currency: payment.currency,
        amountMinor,
        fromPendingMinor,
      }),
    },
  };
}

/** The payment with a transition's changes applied. */
export function applyChanges(payment: PaymentMoney, changes: PaymentChanges): PaymentMoney {
  const { status, amountCapturable, amountCaptured, amountRefunded } = changes;
  return {
    ...payment,
    ...(status === undefined ? {} : { status }),
    ...(amountCapturable === undefined ? {} : { amountCapturable }),
    ...(amountCaptured === undefined ? {} : { amountCaptured }),
    ...(amountRefunded === undefined ? {} : { amountRefunded }),
  };
}

/**
 * What a payment's recorded postings say that its row does not: the fee charged at capture (today's fee schedule
 * need not reproduce it), where the capture was credited (merchant_pending when a settlement delay ran then), and
 * how much of its refunds was taken from pending.
 */
export interface RecordedSettlement {
  captureFeeMinor: number;
  creditTo: SettlementAccountKind;
  refundedFromPendingMinor: number;
}

/**
 * The ledger moves a payment in this state must have recorded: the transitions that lead to the state, rebuilt with
 * the same builders, and its refunds as one refund move of amount_refunded (refund postings add up, so per account
 * this is the sum of the refunds' own moves).
 *
 * Returns null when no sequence of transitions reaches the state (a captured payment still holding money, an
 * automatic payment captured partly, a fee above the captured amount, refunds from pending of a capture that was
 * never pending or beyond what it credited there, ...): the caller reports the payment.
 */
export function expectedLedger(payment: PaymentMoney, recorded: RecordedSettlement): LedgerMove[] | null {
  const { captureFeeMinor, creditTo, refundedFromPendingMinor } = recorded;
  try {
    assertPaymentMoney(payment);
    assertAmount(captureFeeMinor, 'the capture fee');
    assertAmount(refundedFromPendingMinor, 'the refunds from pending');
  } catch {
    return null;
  }
  if (captureFeeMinor > payment.amountCaptured) return null;
  if (refundedFromPendingMinor > payment.amountRefunded) return null;
  if (refundedFromPendingMinor > 0 && creditTo !== 'merchant_pending') return null;
  if (refundedFromPendingMinor > payment.amountCaptured - captureFeeMinor) return null;
  const moves = transitionsTo(payment, captureFeeMinor, creditTo);
  if (moves === null) return null;
  if (payment.amountRefunded > 0) {
    moves.push({
      kind: 'refund',
      postings: postingsForRefund({
        merchantId: payment.merchantId,
        currency: payment.currency,
        amountMinor: payment.amountRefunded,
        fromPendingMinor: refundedFromPendingMinor,
      }),
    });
  }
  return moves;
}

function transitionsTo(
  payment: PaymentMoney,
  captureFeeMinor: number,
  creditTo: SettlementAccountKind,
): LedgerMove[] | null {
  const { status, captureMethod, amount, amountCapturable, amountCaptured } = payment;
  const money = { merchantId: payment.merchantId, currency: payment.currency };
  const captured = amountCaptured > 0;
  if (status === 'processing' || status === 'failed') {
    return captured || amountCapturable > 0 ? null : [];
  }
  if (captureMethod === 'automatic') {
    if (status !== 'succeeded' || amountCaptured !== amount || amountCapturable !== 0) return null;
    return [
      {
        kind: 'payment_capture',
        postings: postingsForAutomaticCapture({ ...money, amountMinor: amount, feeMinor: captureFeeMinor, creditTo }),
      },
    ];
  }
  // Manual: the authorization held the whole amount; a capture or a cancel released it.
  const hold: LedgerMove = {
    kind: 'authorization_hold',
    postings: postingsForAuthorizationHold({ ...money, amountMinor: amount }),
  };
  if (status === 'requires_capture') {
    return amountCapturable === amount && !captured ? [hold] : null;
  }
  if (status === 'canceled') {
    if (captured || amountCapturable !== 0) return null;
    return [
      hold,
      { kind: 'authorization_release', postings: postingsForHoldRelease({ ...money, authorizedMinor: amount }) },
    ];
  }
  if (!captured || amountCapturable !== 0) return null;
  return [
    hold,
    {
      kind: 'payment_capture',
      postings: postingsForCapture({
        ...money,
        authorizedMinor: amount,
        capturedMinor: amountCaptured,
        feeMinor: captureFeeMinor,
        creditTo,
      }),
    },
  ];
}

/** The payment amounts that postings mean: what was captured, what was refunded and what is still held. */
export interface MoneyMoved {
  captured: number;
  refunded: number;
  held: number;
}

/**
 * What a payment's postings say of its amounts: captured money is what the network owes us for its captures,
 * refunded what we paid back through the network, held what is still in merchant_authorized (a credit).
 */
export function moneyMoved(sums: PostingSums): MoneyMoved {
  let held = 0;
  for (const [key, sum] of sums) if (key.endsWith('/merchant_authorized')) held -= sum;
  return {
    captured: (sums.get('payment_capture/network_clearing') ?? 0) + 0,
    refunded: 0 - (sums.get('refund/network_clearing') ?? 0),
    held: held + 0,
  };
}

/** The capture fee a payment's recorded postings show (a credit to fees_revenue), within 0..captured. */
export function recordedCaptureFee(sums: PostingSums, amountCaptured: number): number {
  const fee = 0 - (sums.get('payment_capture/fees_revenue') ?? 0);
  return Math.min(Math.max(fee, 0), Math.max(amountCaptured, 0));
}

/**
 * What a payment's recorded postings say of its settlement (RecordedSettlement): the capture fee, the account its
 * capture credited, and the refunds' debits of merchant_pending (kept as recorded, so that a wrong one still differs
 * from what expectedLedger rebuilds, or makes the state unreachable).
 */
export function recordedSettlement(sums: PostingSums, amountCaptured: number): RecordedSettlement {
  return {
    captureFeeMinor: recordedCaptureFee(sums, amountCaptured),
    creditTo: sums.has('payment_capture/merchant_pending') ? 'merchant_pending' : 'merchant_available',
    refundedFromPendingMinor: Math.max(sums.get('refund/merchant_pending') ?? 0, 0),
  };
}
