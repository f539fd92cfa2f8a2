// @payments/client/webhooks: the webhook signature verifier alone, for a receiver that calls no API.
export {
  verifyWebhookSignature,
  webhookSignatureHeaderName,
  webhookToleranceSecondsDefault,
} from './webhook-signature';
export type { VerifyWebhookSignatureInput } from './webhook-signature';
