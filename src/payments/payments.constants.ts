export const PAYMENTS_QUEUE = 'payments';
export const AUTHORIZE_PAYMENT_JOB = 'authorize-payment';
/** Outbox topic whose rows become authorization jobs. */
export const AUTHORIZE_PAYMENT_TOPIC = 'payment.authorize';

export interface AuthorizePaymentJobData {
  paymentId: string;
  /** The card vault token; the job never carries card data itself. */
  vaultToken: string;
}
