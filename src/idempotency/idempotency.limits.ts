export const idempotencyLimits = {
  // API.md: keys are kept 24 hours.
  keyRetentionMs: 24 * 60 * 60 * 1000,
  // A request that has held its key this long without finishing is presumed dead (its process crashed),
  // so the same request may take the key over instead of being answered 409 forever.
  abandonedLockMs: 60_000,
  // A release that failed (PostgreSQL down) is tried again this often until it lands or the lock counts as abandoned.
  releaseRetryIntervalMs: 500,
  // API.md: 1–255 printable ASCII characters.
  keyLengthMax: 255,
  sweepBatchSize: 5_000,
  // Stored responses sealed per statement when an upgrade finds some in the clear.
  sealBatchSize: 500,
};
