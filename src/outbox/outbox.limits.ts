export const outboxLimits = {
  // Rows handed to brokers per relay transaction: large enough to drain a burst quickly, small enough that a
  // broker outage holds few row locks.
  batchSize: 200,
  // A broker call that takes longer is treated as failed; the row stays unsent and is retried.
  dispatchTimeoutMs: 2_000,
  // After a failed dispatch the relay waits before retrying, doubling up to the cap, so an outage is not hammered.
  retryDelayInitialMs: 100,
  retryDelayMaxMs: 5_000,
  listenReconnectDelayMs: 1_000,
};

export const outboxNotifyChannel = 'outbox';
