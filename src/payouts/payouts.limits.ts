export const payoutLimits = {
  // API.md: a payout's description, like a payment's, is at most 1000 characters.
  descriptionLengthMax: 1000,
  // Finished submit and settle jobs kept for the dashboard; failed ones per DEAD_LETTER_RETENTION_COUNT.
  completedJobsKept: 1000,
  // A bank rail that cannot answer is asked again with exponential backoff from 1 s: 8 attempts span about 4 min.
  jobAttemptsMax: 8,
  jobBackoffDelayMs: 1_000,
  // Scheduled runs kept for the dashboard, per outcome: a run is repeated at its next time, so it is not retried.
  scheduleRunsKept: 100,
  // Merchants read per page by a scheduled run (keyset by id): memory stays bounded however many are scheduled.
  scheduledMerchantsPerPage: 500,
} as const;
