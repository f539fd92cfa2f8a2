export const settlementLimits = {
  // Due pending rows a release transaction locks and moves at most: the rows and one ledger transaction per merchant
  // and currency stay one bounded transaction; a run with more due goes on with the next batch at once.
  releaseRowsPerBatch: 5_000,
  // Scheduled release runs kept for the dashboard, per outcome: a run is repeated at its next interval, not retried.
  releaseRunsKept: 100,
} as const;
