// The payout status machine of API.md, drawn in one place: pending → in_transit → paid, and pending or in_transit →
// failed. Nothing else moves a payout; every status update is guarded by the status this table allows it from.

// The lists are the database enums' values (database/enum-values.ts, a file with no imports): one list each.
import { PAYOUT_FAILURE_CODES, PAYOUT_METHODS, PAYOUT_STATUSES } from '../database/enum-values';

export { PAYOUT_FAILURE_CODES, PAYOUT_METHODS, PAYOUT_STATUSES };
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];
export type PayoutMethod = (typeof PAYOUT_METHODS)[number];
export type PayoutFailureCode = (typeof PAYOUT_FAILURE_CODES)[number];

export const PAYOUT_TRANSITIONS: Readonly<Record<PayoutStatus, readonly PayoutStatus[]>> = Object.freeze({
  // The bank accepted it (in_transit) or refused it at once (failed: account_closed).
  pending: Object.freeze(['in_transit', 'failed'] as const),
  // The bank paid it, or returned it (failed: could_not_process).
  in_transit: Object.freeze(['paid', 'failed'] as const),
  paid: Object.freeze([] as const),
  failed: Object.freeze([] as const),
});

const payoutStatuses: ReadonlySet<string> = new Set(PAYOUT_STATUSES);

/** For values read from the database or a request: 'constructor' and friends are not statuses. */
export function isPayoutStatus(value: unknown): value is PayoutStatus {
  return typeof value === 'string' && payoutStatuses.has(value);
}

export function canTransition(from: PayoutStatus, to: PayoutStatus): boolean {
  if (!isPayoutStatus(from) || !isPayoutStatus(to)) return false;
  return PAYOUT_TRANSITIONS[from].includes(to);
}

/** A paid or failed payout never changes again. */
export function isFinal(status: PayoutStatus): boolean {
  return isPayoutStatus(status) && PAYOUT_TRANSITIONS[status].length === 0;
}

/** The statuses a payout may move to `to` from: the guard of its status update. */
export function statusesBefore(to: PayoutStatus): PayoutStatus[] {
  if (!isPayoutStatus(to)) throw new TypeError(`unknown payout status: ${String(to)}`);
  return PAYOUT_STATUSES.filter((from) => canTransition(from, to));
}

/** The ledger transactions a payout in `status` has recorded, in the order they were recorded. */
export function ledgerKindsOf(status: PayoutStatus): ('payout_created' | 'payout_paid' | 'payout_failed')[] {
  switch (status) {
    case 'pending':
    case 'in_transit':
      return ['payout_created'];
    case 'paid':
      return ['payout_created', 'payout_paid'];
    case 'failed':
      return ['payout_created', 'payout_failed'];
    default:
      throw new TypeError(`unknown payout status: ${String(status)}`);
  }
}
