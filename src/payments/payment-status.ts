// The payment status machine of API.md, drawn in one place. Nothing else may move a payment between
// statuses: the service asks `canTransition` and answers 409 payment_state_invalid when it says no.

// The status lists are the database enums' values (database/enum-values.ts, a file with no imports): one list each.
import { CAPTURE_METHODS, PAYMENT_STATUSES, REFUND_STATUSES } from '../database/enum-values';

export { CAPTURE_METHODS, PAYMENT_STATUSES, REFUND_STATUSES };
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
export type CaptureMethod = (typeof CAPTURE_METHODS)[number];
export type RefundStatus = (typeof REFUND_STATUSES)[number];

type TransitionTable = Readonly<Record<CaptureMethod, Readonly<Record<PaymentStatus, readonly PaymentStatus[]>>>>;

function deepFreeze(table: TransitionTable): TransitionTable {
  for (const byStatus of Object.values(table)) {
    for (const targets of Object.values(byStatus)) {
      Object.freeze(targets);
    }
    Object.freeze(byStatus);
  }
  return Object.freeze(table);
}

export const PAYMENT_TRANSITIONS: TransitionTable = deepFreeze({
  automatic: {
    processing: ['succeeded', 'failed'],
    requires_capture: [],
    succeeded: [],
    failed: [],
    canceled: [],
  },
  manual: {
    processing: ['requires_capture', 'failed'],
    // Capture succeeds it; a cancel request or the 7-day expiry job cancels it.
    requires_capture: ['succeeded', 'canceled'],
    succeeded: [],
    failed: [],
    canceled: [],
  },
});

const paymentStatuses: ReadonlySet<string> = new Set(PAYMENT_STATUSES);
const captureMethods: ReadonlySet<string> = new Set(CAPTURE_METHODS);

/** For values read from the database or a request: 'constructor' and friends are not statuses. */
export function isPaymentStatus(value: unknown): value is PaymentStatus {
  return typeof value === 'string' && paymentStatuses.has(value);
}

export function isCaptureMethod(value: unknown): value is CaptureMethod {
  return typeof value === 'string' && captureMethods.has(value);
}

export function canTransition(captureMethod: CaptureMethod, from: PaymentStatus, to: PaymentStatus): boolean {
  if (!isCaptureMethod(captureMethod) || !isPaymentStatus(from) || !isPaymentStatus(to)) {
    return false;
  }
  return PAYMENT_TRANSITIONS[captureMethod][from].includes(to);
}

/** A final payment never changes status again (refunds change amount_refunded, not status). */
export function isFinal(status: PaymentStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'canceled';
}

/** Where a `processing` payment goes once the card network has answered. */
export function statusAfterAuthorization(captureMethod: CaptureMethod, approved: boolean): PaymentStatus {
  if (!isCaptureMethod(captureMethod)) {
    throw new TypeError(`unknown capture method: ${String(captureMethod)}`);
  }
  if (!approved) {
    return 'failed';
  }
  return captureMethod === 'automatic' ? 'succeeded' : 'requires_capture';
}
