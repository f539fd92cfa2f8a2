export const PAYMENTS_QUEUE = 'payments';
export const AUTHORIZE_PAYMENT_JOB = 'authorize-payment';
/** Outbox topic whose rows become authorization jobs. */
export const AUTHORIZE_PAYMENT_TOPIC = 'payment.authorize';

export interface AuthorizePaymentJobData {
  paymentId: string;
  /** The card vault token; the job never carries card data itself. */
  vaultToken: string;
}

export const EXPIRE_AUTHORIZATION_JOB = 'expire-authorization';
/** Outbox topic whose rows become delayed jobs that cancel an authorization nobody captured. */
export const EXPIRE_AUTHORIZATION_TOPIC = 'payment.expire_authorization';

export interface ExpireAuthorizationJobData {
  paymentId: string;
  /** ISO time at which the authorization is canceled if still uncaptured. */
  expiresAt: string;
}
