// The values of the schema's pg enums (payment_status, capture_method, refund_status), in a file with no imports:
// schema.ts makes the enums from them and payments' status machine (payments/payment-status.ts) re-exports them
// with their types, so the column values and the TypeScript constants cannot drift. Like the tables, they are the
// stored vocabulary: changing one needs a migration (`npm run db:generate`), whichever feature asks for it.

export const PAYMENT_STATUSES = ['processing', 'requires_capture', 'succeeded', 'failed', 'canceled'] as const;

export const CAPTURE_METHODS = ['automatic', 'manual'] as const;

// A refund succeeds when it is created (the money is taken from the merchant's available balance at once).
export const REFUND_STATUSES = ['succeeded'] as const;

// Payouts (API.md "Settlement and payouts"): pending → in_transit → paid; pending or in_transit → failed.
export const PAYOUT_STATUSES = ['pending', 'in_transit', 'paid', 'failed'] as const;

// `manual`: asked for with POST /v1/payouts; `automatic`: made by the merchant's payout schedule.
export const PAYOUT_METHODS = ['manual', 'automatic'] as const;

// A merchant's payout schedule: none (manual), every day at 00:00 UTC, or every Monday at 00:00 UTC.
export const PAYOUT_SCHEDULES = ['manual', 'daily', 'weekly'] as const;

// Why a payout failed (API.md): the bank refused it at once, or returned it after it was in transit.
export const PAYOUT_FAILURE_CODES = ['account_closed', 'could_not_process'] as const;

// A dispute (API.md "Disputes"): needs_response until evidence or acceptance, under_review while the network decides
// on the evidence, then won or lost for good (the status machine is disputes/dispute-status.ts).
export const DISPUTE_STATUSES = ['needs_response', 'under_review', 'won', 'lost'] as const;
