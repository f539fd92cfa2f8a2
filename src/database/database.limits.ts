export const databaseLimits = {
  // A request waits at most this long for a connection before it is answered 503 instead of hanging.
  connectTimeoutMs: 3_000,
  idleTimeoutMs: 30_000,
  // No statement of this service should run for seconds; a runaway one is stopped rather than holding locks.
  statementTimeoutMs: 15_000,
  // Serializes migrations when several processes (api, worker, relay) start at once.
  migrationAdvisoryLockKey: 7_340_121,
};
