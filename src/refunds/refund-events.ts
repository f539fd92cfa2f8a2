import { defineEventTypes } from '../events/event-types';

/** The refund's event type (API.md); `data.object` is the refund, ordered with its payment's events. */
export const refundEventTypes = defineEventTypes(['refund.succeeded']);

declare module '../events/event-types' {
  interface EventTypesByFeature {
    refunds: typeof refundEventTypes;
  }
}
