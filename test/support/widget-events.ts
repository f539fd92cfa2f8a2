import { defineEventTypes } from '../../src/events/event-types';

/**
 * The worked example of a feature's event types (test/event-types.e2e-spec.ts): declared the way
 * src/payments/payment-events.ts declares the payment's, in the feature's own folder, and imported by the service
 * that records them (test/support/widgets.module.ts).
 */
export const widgetEventTypes = defineEventTypes(['widget.created']);

declare module '../../src/events/event-types' {
  interface EventTypesByFeature {
    widgets: typeof widgetEventTypes;
  }
}
