export const databaseLimits = {
  // A request waits at most this long for a connection before it is answered 503 instead of hanging.
  connectTimeoutMs: 3_000,
  idleTimeoutMs: 30_000,
  // No statement of this service should run for seconds; a runaway one is stopped rather than holding locks. Set by
  // each transaction for itself (SET LOCAL, as the idle timeout below): statements outside a transaction get a bound
  // only from the role's or database's own setting (README, "PgBouncer and a read replica").
  statementTimeoutMs: 15_000,
  // A transaction left idle this long (its process frozen or stalled between two statements) is ended by
  // PostgreSQL, releasing its row locks: a frozen worker holding a merchant's balance row must not stall every
  // other payment of that merchant. Nothing here waits on anything else inside a transaction for long (a relay
  // batch's broker calls are bounded at 2 s plus 0.5 s grace, checked at load to stay under half of this), and it
  // stays below the statement timeout so waiters are freed first.
  idleInTransactionTimeoutMs: 5_000,
  // Parameterized statements sent this often are prepared once per connection (StatementNames): the write path's
  // statements are a few dozen fixed texts; a text that varies with its input is never sent often enough, and no more
  // than maxNames are ever prepared.
  statementNames: { hotAfter: 3, maxNames: 200, maxCounted: 5_000 },
  // Serializes migrations when several processes (api, worker, relay) start at once: a session lock, so taken on
  // DATABASE_DIRECT_URL (a pooler in transaction mode could run the unlock on another server connection).
  migrationAdvisoryLockKey: 7_340_121,
};
