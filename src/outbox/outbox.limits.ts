import { databaseLimits } from '../database/database.limits';

export const outboxLimits = {
  // Rows of one topic handed to its broker per relay transaction, as one batch: large enough to drain a burst
  // quickly, small enough that a broker outage holds few row locks and that a batch is published well within its
  // deadline. Each topic has its own window, so one topic's backlog never keeps another's rows from being selected.
  batchSize: 200,
  // The relay's transaction stays open (its rows locked, the connection idle in transaction) while a batch waits for
  // its broker, so a batch's broker work gets this long in all: what is not confirmed by then failed, stays unsent
  // and is retried. It has to end well before PostgreSQL ends the idle transaction (see the assertion below): the
  // rollback would leave a published batch unmarked, to be published again.
  batchDeadlineMs: 2_000,
  // A dispatcher gives its broker calls up at the batch deadline itself (it is told the deadline); the relay waits
  // this much longer before it stops waiting for one that did not.
  batchDeadlineGraceMs: 500,
  // After a pass over a topic that failed without progress, that topic waits before retrying, doubling up to the
  // cap, so an outage is not hammered; the other topics do not wait with it.
  // A topic woken by a commit waits this long before its pass, so the commits of that moment share one batch (one
  // relay transaction, one broker round trip): at a moderate rate, a pass per commit would cost most of a payment's
  // CPU. It adds at most this much to a message's way out, far below what anything downstream waits. 25 ms against
  // 10 ms, at 200 creates/s (npm run bench:ab, 2 rounds): 0.59 commits per payment against 0.62, app and PostgreSQL
  // CPU per payment 8–10 % lower.
  wakeupGatherMs: 25,
  // An idle topic is woken by its commits' notifications and by the relay's one poll for all topics
  // (OUTBOX_POLL_INTERVAL_MS); past this it takes a pass anyway, should both have missed its rows.
  idleTopicPassMaxIntervalMs: 30_000,
  retryDelayInitialMs: 100,
  retryDelayMaxMs: 5_000,
  listenReconnectDelayMs: 1_000,
  // Rows the sweep of sent rows reads (and deletes, when sent long enough ago) per statement.
  sweepBatchSize: 5_000,
  // A scrape must answer even when PostgreSQL does not: the lag gauges are left out past this deadline.
  lagQueryTimeoutMs: 500,
};

export const outboxNotifyChannel = 'outbox';

// The longest the relay leaves its transaction idle is a batch's deadline and grace; half of PostgreSQL's idle
// limit is left for a loaded event loop to come back to it and mark the batch.
if (2 * (outboxLimits.batchDeadlineMs + outboxLimits.batchDeadlineGraceMs) > databaseLimits.idleInTransactionTimeoutMs)
  throw new Error('outboxLimits: a batch deadline must stay well below idleInTransactionTimeoutMs');
