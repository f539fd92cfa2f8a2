// What a disputes job may say. Anyone who can write to the queue Redis can add a job, so job data is untrusted: it
// names a dispute and its merchant, and everything else (the network reference, the evidence) is read from the row.
import { z } from 'zod';
import { isId } from '../common/ids';
import { isTraceparent } from '../telemetry/trace-context';
import type { DisputeJobData } from './disputes.constants';

export type DisputeJobParse = { valid: true; target: DisputeJobData } | { valid: false; reason: string };

const disputeJobSchema = z
  .strictObject({
    disputeId: z.string().refine((value) => isId('dp', value), { message: 'not a dispute id' }),
    merchantId: z.string().refine((value) => isId('mer', value), { message: 'not a merchant id' }),
    // The trace the job continues (the relay adds it while tracing is on).
    traceparent: z.string().refine(isTraceparent, { message: 'not a traceparent' }).optional(),
  })
  .transform(({ disputeId, merchantId }): DisputeJobData => ({ disputeId, merchantId }));

/** The dispute a job names, or why it names none (paths and checks only: job data is never echoed). */
export function parseDisputeJob(data: unknown): DisputeJobParse {
  const parsed = disputeJobSchema.safeParse(data);
  if (parsed.success) return { valid: true, target: parsed.data };
  const reason = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(data)'}: ${issue.code}`).join('; ');
  return { valid: false, reason };
}

/** The job data of a dispute's outbox row: its ids only. */
export function disputeJobData(payload: Readonly<Record<string, unknown>>): DisputeJobData {
  return {
    disputeId: typeof payload.disputeId === 'string' ? payload.disputeId : '',
    merchantId: typeof payload.merchantId === 'string' ? payload.merchantId : '',
  };
}

/**
 * How long the deadline job waits: until evidence_due_by. A wrong or missing time runs it at once, which is harmless:
 * the network says the dispute is still open, and the job waits again.
 */
export function deadlineDelayMs(evidenceDueBy: unknown, nowMs: number): number {
  const dueMs = typeof evidenceDueBy === 'string' ? Date.parse(evidenceDueBy) : Number.NaN;
  return Number.isFinite(dueMs) ? Math.max(0, dueMs - nowMs) : 0;
}
