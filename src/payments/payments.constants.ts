export const PAYMENTS_QUEUE = 'payments';
export const AUTHORIZE_PAYMENT_JOB = 'authorize-payment';
/** Outbox topic whose rows become authorization jobs. */
export const AUTHORIZE_PAYMENT_TOPIC = 'payment.authorize';

/**
 * The data of every payments job: ids only. Job data is untrusted (anyone with the queue Redis can write it), so
 * the processor reads the card, the owner, the status and the expiry from the payment row, never from here.
 */
export interface PaymentJobData {
  paymentId: string;
  /** The payment's merchant; a job naming another merchant changes nothing. Absent on jobs from older releases. */
  merchantId?: string;
}

export type AuthorizePaymentJobData = PaymentJobData;

export const EXPIRE_AUTHORIZATION_JOB = 'expire-authorization';
/** Outbox topic whose rows become delayed jobs that cancel an authorization nobody captured. */
export const EXPIRE_AUTHORIZATION_TOPIC = 'payment.expire_authorization';

export type ExpireAuthorizationJobData = PaymentJobData;

/** An expiry outbox row: the job's ids, and the stored expiry that sets the job's delay (it stays in the outbox). */
export interface ExpireAuthorizationOutboxPayload extends Required<PaymentJobData> {
  /** ISO time, equal to the payment's authorization_expires_at when the row was written. */
  expiresAt: string;
}

export const NETWORK_CAPTURE_JOB = 'network-capture';
/** Outbox topic whose rows become jobs that settle a payment's captured amount with the card network. */
export const NETWORK_CAPTURE_TOPIC = 'payment.network_capture';

export const NETWORK_REFUND_JOB = 'network-refund';
/** Outbox topic whose rows become jobs that pay a refund back through the card network. */
export const NETWORK_REFUND_TOPIC = 'refund.network_refund';

/** A network refund job's data: the refund's ids only (its amount is read from the refund row). */
export interface NetworkRefundJobData extends Required<PaymentJobData> {
  refundId: string;
}
