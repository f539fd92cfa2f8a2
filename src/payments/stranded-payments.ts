// Payments nobody will move on their own (issue #11): a `processing` payment whose authorization job is gone (it
// exhausted its attempts outside the network call, stalled too often, or completed without acting), and an
// authorization whose delayed expiry job was lost. Pure rules: when a payment counts as stranded and what to do.
import type { AuthorizationResult } from './card-network/card-network.port';

/**
 * BullMQ's default lock duration: an attempt that holds a job longer is taken for stalled and run again, so one
 * attempt keeps a payment `processing` at most about this long before the queue acts on it.
 */
export const attemptAllowanceMs = 30_000;
/** Room for the outbox relay, a busy queue before the first attempt, and the clocks of the processes involved. */
export const retryBudgetMarginMs = 60_000;
/** Past this a payment is stranded whatever the configuration says; keeps the interval in PostgreSQL's range. */
export const retryBudgetMsMax = 30 * 86_400_000;
/**
 * How long after its stored expiry the delayed expiry job has to cancel an authorization before the sweeper
 * does: the job normally wins, the sweeper only picks up lost ones.
 */
export const authorizationExpiryGraceMs = 5 * 60_000;

export interface RetryPolicy {
  attemptsMax: number;
  backoffDelayMs: number;
}

/**
 * The longest a healthy authorization job keeps a payment `processing`: BullMQ's exponential backoff waits
 * `backoffDelayMs · 2^(k-1)` before retry k+1, so all waits sum to `backoffDelayMs · (2^(attemptsMax-1) − 1)`;
 * each attempt may take up to `attemptAllowanceMs`; plus `retryBudgetMarginMs`. Defaults (5 attempts, 4 s):
 * 60 s + 150 s + 60 s = 270 s.
 */
export function retryBudgetMs(policy: RetryPolicy): number {
  const { attemptsMax, backoffDelayMs } = policy;
  if (!Number.isSafeInteger(attemptsMax) || attemptsMax < 1) throw new RangeError(`attemptsMax ${attemptsMax}`);
  if (!Number.isSafeInteger(backoffDelayMs) || backoffDelayMs < 0) {
    throw new RangeError(`backoffDelayMs ${backoffDelayMs}`);
  }
  const backoffTotalMs = backoffDelayMs * (2 ** (attemptsMax - 1) - 1);
  const budgetMs = backoffTotalMs + attemptsMax * attemptAllowanceMs + retryBudgetMarginMs;
  return Math.min(budgetMs, retryBudgetMsMax);
}

export interface StrandedThresholds {
  /** A `processing` payment older than this is stuck. */
  processingBudgetMs: number;
  /** An authorization this long past its stored expiry is overdue. */
  authorizationGraceMs: number;
}

export function strandedThresholds(policy: RetryPolicy): StrandedThresholds {
  return { processingBudgetMs: retryBudgetMs(policy), authorizationGraceMs: authorizationExpiryGraceMs };
}

export type StrandedCheck = 'payment_stuck_processing' | 'authorization_overdue';

/** A payment as the sweeper reads it; times are epoch milliseconds by the database clock. */
export interface StrandedCandidate {
  status: string;
  createdAtMs: number;
  /** When the authorization may be expired (null unless `requires_capture`). */
  authorizationDueAtMs: number | null;
}

/** Which kind of stranded payment `payment` is at `nowMs`, or null when it is not stranded (yet). */
export function strandedCheck(
  payment: StrandedCandidate,
  nowMs: number,
  thresholds: StrandedThresholds,
): StrandedCheck | null {
  if (payment.status === 'processing' && nowMs - payment.createdAtMs > thresholds.processingBudgetMs) {
    return 'payment_stuck_processing';
  }
  if (
    payment.status === 'requires_capture' &&
    payment.authorizationDueAtMs !== null &&
    nowMs - payment.authorizationDueAtMs > thresholds.authorizationGraceMs
  ) {
    return 'authorization_overdue';
  }
  return null;
}

/**
 * What the sweeper does with a payment: a stuck one is settled by what the card network says when its key is
 * closed (`close_network_key`), an overdue authorization is expired like the delayed job would, anything else
 * (moved on since it was read, or not due) is left alone.
 */
export type StrandedAction = 'close_network_key' | 'expire_authorization' | 'leave';

export function strandedAction(
  payment: StrandedCandidate,
  nowMs: number,
  thresholds: StrandedThresholds,
): StrandedAction {
  switch (strandedCheck(payment, nowMs, thresholds)) {
    case 'payment_stuck_processing':
      return 'close_network_key';
    case 'authorization_overdue':
      return 'expire_authorization';
    case null:
      return 'leave';
  }
}

export const unansweredFailureMessage =
  'The payment could not be completed in time; the card network voided it and the card was not charged.';

/**
 * How a stuck payment ends once the network closed its key: its approval (the card was charged, so the payment
 * must not fail), its decline, or — no final answer, and none can come any more — failed with processing_error.
 */
export function outcomeOfClosedKey(answer: AuthorizationResult | null): AuthorizationResult {
  if (answer !== null) return answer;
  return {
    approved: false,
    declineCode: 'processing_error',
    message: unansweredFailureMessage,
    networkReference: null,
  };
}

/** The label a finalized stuck payment is counted under. */
export function closedKeyOutcomeLabel(answer: AuthorizationResult | null): 'approved' | 'declined' | 'voided' {
  if (answer === null) return 'voided';
  return answer.approved ? 'approved' : 'declined';
}

/** Payments read and acted on per batch: one batch's network calls and transactions stay short. */
export const strandedSweepBatchSizeMax = 100;
/** Batches per sweep run, so one run ends in bounded time; the next run (a minute later by default) goes on. */
export const strandedSweepBatchesMax = 10;
/** Stranded payments counted per merchant for the gauges: enough to see an incident, bounded cost per scrape. */
export const strandedCountedPerMerchantMax = 10_000;
