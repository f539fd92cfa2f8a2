import { defineEventTypes } from '../events/event-types';

/**
 * The dispute's event types (API.md "Disputes"); `data.object` is the dispute, which names its payment, so its events
 * are published in order with the payment's.
 */
export const disputeEventTypes = defineEventTypes(['dispute.created', 'dispute.updated', 'dispute.closed']);

declare module '../events/event-types' {
  interface EventTypesByFeature {
    disputes: typeof disputeEventTypes;
  }
}
