import { defineEventTypes } from '../events/event-types';

/** The payment's event types (API.md), one per status a payment enters; `data.object` is the payment. */
export const paymentEventTypes = defineEventTypes([
  'payment.processing',
  'payment.requires_capture',
  'payment.succeeded',
  'payment.failed',
  'payment.canceled',
]);

declare module '../events/event-types' {
  interface EventTypesByFeature {
    payments: typeof paymentEventTypes;
  }
}
