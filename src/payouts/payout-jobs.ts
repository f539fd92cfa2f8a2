// What a payouts job may say, and what the processor makes of it. Anyone who can write to the queue Redis can add a
// job, so job data is untrusted input: it names a payout and its merchant, and nothing else is read from it.
import { z } from 'zod';
import { isId } from '../common/ids';
import { isTraceparent } from '../telemetry/trace-context';
import type { PayoutStatus } from './payout-status';
import { type PayoutJobData, SETTLE_PAYOUT_JOB, SUBMIT_PAYOUT_JOB } from './payouts.constants';

export type PayoutJobParse = { valid: true; target: PayoutJobData } | { valid: false; reason: string };

const payoutJobSchema = z.strictObject({
  payoutId: z.string().refine((value) => isId('po', value), { message: 'not a payout id' }),
  merchantId: z.string().refine((value) => isId('mer', value), { message: 'not a merchant id' }),
  // The trace the job continues (the relay adds it while tracing is on): a W3C traceparent, nothing else.
  traceparent: z.string().refine(isTraceparent, { message: 'not a traceparent' }).optional(),
});

const payoutJobNames: ReadonlySet<string> = new Set([SUBMIT_PAYOUT_JOB, SETTLE_PAYOUT_JOB]);

// A reason is logged, so it names paths and checks only: job data is never echoed (it could hold anything).
const reasonLengthMax = 200;

export function parsePayoutJob(jobName: string, data: unknown): PayoutJobParse {
  if (!payoutJobNames.has(jobName)) return { valid: false, reason: 'unknown job name' };
  const parsed = payoutJobSchema.safeParse(data);
  if (parsed.success)
    return { valid: true, target: { payoutId: parsed.data.payoutId, merchantId: parsed.data.merchantId } };
  const reason = parsed.error.issues
    .map((issue) => `${issue.path.map(String).join('.') || '(data)'}: ${issue.code}`)
    .join('; ');
  return { valid: false, reason: reason.slice(0, reasonLengthMax) };
}

/** Why a job about a payout must change nothing, or 'ok'. */
export type PayoutJobCheck = 'ok' | 'unknown_payout' | 'wrong_merchant' | 'already_moved';

/**
 * A job acts only on the payout it names, owned by the merchant it names, in the status the job exists for. Anything
 * else is a replay, a stale job or a forgery, and changes nothing.
 */
export function checkPayoutJob(
  row: { merchantId: string; status: PayoutStatus } | undefined,
  target: PayoutJobData,
  expectedStatus: PayoutStatus,
): PayoutJobCheck {
  if (!row) return 'unknown_payout';
  if (target.merchantId !== row.merchantId) return 'wrong_merchant';
  if (row.status !== expectedStatus) return 'already_moved';
  return 'ok';
}

/** The job data the outbox relay queues for a payout's outbox row: the ids only. */
export function payoutJobData(payload: Readonly<Record<string, unknown>>): PayoutJobData {
  // A row that does not hold string ids still becomes a job, which the processor rejects and logs, rather than
  // stalling every later row of its topic in the relay.
  return {
    payoutId: typeof payload.payoutId === 'string' ? payload.payoutId : '',
    merchantId: typeof payload.merchantId === 'string' ? payload.merchantId : '',
  };
}

/**
 * How long a settle job waits: until the stored arrival date. A wrong or missing time is harmless: the job checks
 * the payout's own arrival date and moves itself to it when it runs early.
 */
export function arrivalDelayMs(arrivalAt: unknown, nowMs: number): number {
  const arrivalAtMs = typeof arrivalAt === 'string' ? Date.parse(arrivalAt) : Number.NaN;
  return Number.isFinite(arrivalAtMs) ? Math.max(0, arrivalAtMs - nowMs) : 0;
}
