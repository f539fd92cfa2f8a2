import { defineEventTypes } from '../events/event-types';

/** The payout's event types, one per status it enters; `data.object` is the payout, ordered per payout. */
export const payoutEventTypes = defineEventTypes([
  'payout.created',
  'payout.in_transit',
  'payout.paid',
  'payout.failed',
]);

declare module '../events/event-types' {
  interface EventTypesByFeature {
    payouts: typeof payoutEventTypes;
  }
}
