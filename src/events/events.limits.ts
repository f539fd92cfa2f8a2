export const eventsLimits = {
  // amqp-connection-manager keeps a message it could not get confirmed in memory and sends it after a
  // reconnect, behind the relay's back. With this deadline it gives the message up (and the relay retries it
  // from the outbox) instead; it is below the relay's 2 s dispatch timeout so that both agree on the failure.
  publishConfirmTimeoutMs: 1_500,
  // Outbox ids whose publication this process has seen confirmed: two relay batches (2 × 200), so the ordering
  // check recognizes every row of the batch in progress.
  confirmedIdsRemembered: 400,
  // Earlier unsent rows of one ordering key examined at a time; a payment has a handful of events.
  orderingLookbackMax: 64,
  // A broker that comes back is used again within about a second; a down one gets one attempt per second.
  reconnectDelaySeconds: 1,
  heartbeatIntervalSeconds: 5,
  // main.ts waits this long for the subscribers to bind their queues before serving HTTP anyway: a RabbitMQ
  // that is down at start must not keep the API from taking payments.
  subscriberStartWaitMs: 5_000,
  // The prefetch of a subscriber: messages in flight per consumer before it acknowledges any.
  subscriberPrefetchCount: 32,
};
