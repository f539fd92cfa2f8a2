import { outboxLimits } from '../outbox/outbox.limits';

export const eventsLimits = {
  // A wave of a batch is published only with at least this long left before the batch's deadline: its confirms
  // could not come back in time, and a message RabbitMQ routed but whose confirm came too late is published again.
  // (amqp-connection-manager gives up a message at the deadline, unsent or unconfirmed, rather than keep it in
  // memory and send it after a reconnect, behind the relay's back.)
  publishTimeMinMs: 250,
  // Outbox ids whose publication this process has seen confirmed: two relay batches, so that a batch published
  // but not marked (its transaction lost) is recognized when it comes back, and is not published again.
  confirmedIdsRemembered: 2 * outboxLimits.batchSize,
  // Unsent rows skipped by a batch (other relays' batches, late commits) read by its ordering check; past this,
  // the batch's events after the last row read are held for a later pass.
  earlierUnsentRowsMax: 1_000,
  // A broker that comes back is used again within about a second; a down one gets one attempt per second.
  reconnectDelaySeconds: 1,
  heartbeatIntervalSeconds: 5,
  // main.ts waits this long for the subscribers to bind their queues before serving HTTP anyway: a RabbitMQ
  // that is down at start must not keep the API from taking payments.
  subscriberStartWaitMs: 5_000,
  // The start-up declaration of the subscriber queues (SubscriberQueuesAtStart) waits this long for a node to
  // answer and again for the declarations: as long as the subscribers' own wait, for the same reason.
  startDeclarationTimeoutMs: 5_000,
  // The prefetch of a subscriber: messages in flight per consumer before it acknowledges any.
  subscriberPrefetchCount: 32,
};
