// What a payments job may say, and what the processor makes of it. Anyone who can write to the queue Redis can
// add a job, so job data is untrusted input: it names a payment and nothing else is read from it. The card, the
// amount, the owner and the expiry all come from the payment row.
import { z } from 'zod';
import { isId } from '../common/ids';
import { isTraceparent } from '../telemetry/trace-context';
import type { PaymentStatus } from './payment-status';
import {
  AUTHORIZE_PAYMENT_JOB,
  EXPIRE_AUTHORIZATION_JOB,
  NETWORK_CAPTURE_JOB,
  NETWORK_REFUND_JOB,
  type PaymentJobData,
} from './payments.constants';

/** The payment a valid job is about; merchantId is null only for jobs queued before jobs carried it. */
export interface PaymentJobTarget {
  paymentId: string;
  merchantId: string | null;
  /** The refund a network refund job pays back; absent on every other job. */
  refundId?: string;
}

export type PaymentJobParse = { valid: true; target: PaymentJobTarget } | { valid: false; reason: string };

const paymentIdSchema = z.string().refine((value) => isId('pay', value), { message: 'not a payment id' });
const merchantIdSchema = z.string().refine((value) => isId('mer', value), { message: 'not a merchant id' });
// The trace the job continues (the relay adds it while tracing is on): a W3C traceparent, nothing else.
const traceparentSchema = z.string().refine(isTraceparent, { message: 'not a traceparent' });

function targetOf(data: { paymentId: string; merchantId?: string | undefined }): PaymentJobTarget {
  return { paymentId: data.paymentId, merchantId: data.merchantId ?? null };
}

// Jobs queued by releases before issue #10 carried `vaultToken` (authorize) or `expiresAt` (expire) and no
// merchant id. They are accepted so that an upgrade loses no payment, and the extra field is never read; a job
// that has a merchant id was made by this release and may not carry it.
const legacyOnly = (message: string) => ({ message: `${message} is only accepted on jobs without merchantId` });

const authorizeJobSchema = z
  .strictObject({
    paymentId: paymentIdSchema,
    merchantId: merchantIdSchema.optional(),
    vaultToken: z.string().optional(),
    traceparent: traceparentSchema.optional(),
  })
  .refine((data) => data.merchantId === undefined || data.vaultToken === undefined, legacyOnly('vaultToken'))
  .transform(targetOf);

const expireJobSchema = z
  .strictObject({
    paymentId: paymentIdSchema,
    merchantId: merchantIdSchema.optional(),
    expiresAt: z.string().optional(),
    traceparent: traceparentSchema.optional(),
  })
  .refine((data) => data.merchantId === undefined || data.expiresAt === undefined, legacyOnly('expiresAt'))
  .transform(targetOf);

// The network jobs exist since issue 16: they always name their merchant.
const networkCaptureJobSchema = z
  .strictObject({ paymentId: paymentIdSchema, merchantId: merchantIdSchema, traceparent: traceparentSchema.optional() })
  .transform(targetOf);

const networkRefundJobSchema = z
  .strictObject({
    paymentId: paymentIdSchema,
    merchantId: merchantIdSchema,
    refundId: z.string().refine((value) => isId('re', value), { message: 'not a refund id' }),
    traceparent: traceparentSchema.optional(),
  })
  .transform((data): PaymentJobTarget => ({ ...targetOf(data), refundId: data.refundId }));

const jobDataSchemas: ReadonlyMap<string, z.ZodType<PaymentJobTarget>> = new Map<string, z.ZodType<PaymentJobTarget>>([
  [AUTHORIZE_PAYMENT_JOB, authorizeJobSchema],
  [EXPIRE_AUTHORIZATION_JOB, expireJobSchema],
  [NETWORK_CAPTURE_JOB, networkCaptureJobSchema],
  [NETWORK_REFUND_JOB, networkRefundJobSchema],
]);

// A reason is logged, so it names paths and checks only: job data is never echoed (it could hold anything).
const reasonLengthMax = 200;

export function parsePaymentJob(jobName: string, data: unknown): PaymentJobParse {
  const schema = jobDataSchemas.get(jobName);
  if (!schema) return { valid: false, reason: 'unknown job name' };
  const parsed = schema.safeParse(data);
  if (parsed.success) return { valid: true, target: parsed.data };
  const reason = parsed.error.issues
    .map((issue) => `${issue.path.map(String).join('.') || '(data)'}: ${issue.code}`)
    .join('; ');
  return { valid: false, reason: reason.slice(0, reasonLengthMax) };
}

/** Why a job about an existing payment must change nothing, or 'ok'. */
export type PaymentJobCheck = 'ok' | 'unknown_payment' | 'wrong_merchant' | 'already_final';

/**
 * A job acts only on the payment it names, owned by the merchant it names (when it names one), in the status
 * the job exists for. Anything else is a replay, a stale job or a forgery, and changes nothing.
 */
export function checkJobTarget(
  row: { merchantId: string; status: string } | undefined,
  target: PaymentJobTarget,
  expectedStatus: PaymentStatus,
): PaymentJobCheck {
  if (!row) return 'unknown_payment';
  if (target.merchantId !== null && target.merchantId !== row.merchantId) return 'wrong_merchant';
  if (row.status !== expectedStatus) return 'already_final';
  return 'ok';
}

/**
 * The job data the outbox relay queues for an outbox row: the ids only. Rows written before issue #10 also
 * hold a vault token or an expiry, which stay behind; a row without a merchant id gives a job without one.
 */
export function paymentJobData(payload: Readonly<Record<string, unknown>>): PaymentJobData {
  // A row that does not hold a string id still becomes a job, which the processor rejects and logs, rather than
  // stalling every later row of its topic in the relay.
  const paymentId = typeof payload.paymentId === 'string' ? payload.paymentId : '';
  return typeof payload.merchantId === 'string' ? { paymentId, merchantId: payload.merchantId } : { paymentId };
}

/** The job data of a network refund's outbox row: the payment's ids and the refund's id. */
export function networkRefundJobData(
  payload: Readonly<Record<string, unknown>>,
): PaymentJobData & { refundId: string } {
  return { ...paymentJobData(payload), refundId: typeof payload.refundId === 'string' ? payload.refundId : '' };
}

/**
 * How long the expiry job waits. A wrong or missing time is harmless: the job checks the stored expiry and
 * moves itself to it when it runs early.
 */
export function expiryDelayMs(expiresAt: unknown, nowMs: number): number {
  const expiresAtMs = typeof expiresAt === 'string' ? Date.parse(expiresAt) : Number.NaN;
  return Number.isFinite(expiresAtMs) ? Math.max(0, expiresAtMs - nowMs) : 0;
}

/**
 * Whether a card read from the vault is the one the payment was made with: the vault token on the payment row is
 * the only way to the card, and the card summary stored beside it must agree, so a token swapped in the database
 * still charges nobody else's card.
 */
export function cardMatchesPayment(
  cardNumber: string,
  payment: { cardLast4: string | null; cardFingerprint: string | null },
  fingerprintOf: (cardNumber: string) => string,
): boolean {
  return cardNumber.slice(-4) === payment.cardLast4 && fingerprintOf(cardNumber) === payment.cardFingerprint;
}
