export const outboxLimits = {
  // Rows of one topic handed to its broker per relay transaction: large enough to drain a burst quickly, small
  // enough that a broker outage holds few row locks. Each topic has its own window, so one topic's backlog never
  // keeps another's rows from being selected.
  batchSize: 200,
  // A broker call that takes longer is treated as failed; the row stays unsent and is retried.
  dispatchTimeoutMs: 2_000,
  // After a pass over a topic that failed without progress, that topic waits before retrying, doubling up to the
  // cap, so an outage is not hammered; the other topics do not wait with it.
  retryDelayInitialMs: 100,
  retryDelayMaxMs: 5_000,
  listenReconnectDelayMs: 1_000,
  // A scrape must answer even when PostgreSQL does not: the lag gauges are left out past this deadline.
  lagQueryTimeoutMs: 500,
};

export const outboxNotifyChannel = 'outbox';
