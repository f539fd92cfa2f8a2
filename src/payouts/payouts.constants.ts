export const PAYOUTS_QUEUE = 'payouts';

/** Sends a pending payout to the bank rail: in_transit, or failed at once. */
export const SUBMIT_PAYOUT_JOB = 'submit-payout';
/** Outbox topic whose rows (one per payout created) become submit jobs. */
export const SUBMIT_PAYOUT_TOPIC = 'payout.submit';

/** Asks the bank rail how an in_transit payout ended, delayed until its arrival date: paid, or failed. */
export const SETTLE_PAYOUT_JOB = 'settle-payout';
/** Outbox topic whose rows (one per payout in transit) become delayed settle jobs. */
export const SETTLE_PAYOUT_TOPIC = 'payout.settle';

/** The scheduled runs of automatic payouts (API.md: daily at 00:00 UTC, weekly on Mondays). */
export const RUN_DAILY_PAYOUTS_JOB = 'run-daily-payouts';
export const RUN_WEEKLY_PAYOUTS_JOB = 'run-weekly-payouts';

/**
 * The data of a submit or settle job: ids only. Job data is untrusted (anyone with the queue Redis can write it), so
 * the processor reads the amount, the owner, the status and the arrival date from the payout row, never from here.
 */
export interface PayoutJobData {
  payoutId: string;
  merchantId: string;
}

/** A settle outbox row: the job's ids, and the stored arrival date that sets the job's delay. */
export interface SettlePayoutOutboxPayload extends PayoutJobData {
  /** ISO time, equal to the payout's arrival_at when the row was written. */
  arrivalAt: string;
}
