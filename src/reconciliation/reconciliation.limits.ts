export const reconciliationLimits = {
  // API.md "Reconciliation": each list is stored and returned with at most 100 items; its `*_count` is the total.
  itemsStoredMax: 100,
  // The daily run, in UTC: half an hour after the day ended, so that what was committed just before midnight has
  // reached the network (its capture and refund jobs take seconds, their retries minutes) and the next day's report
  // already holds the lines the network settled just after midnight (see reconciliation-match.ts).
  scheduleCronPattern: '30 0 * * *',
  // A run holds the ledger's network movements of three days in memory (a few hundred bytes each: about 100 MB at
  // this bound, under the worker's heap cap). More is refused with an error rather than compared in part: a partial
  // read would report every movement left out as missing in the report.
  ledgerMovementsReadMax: 300_000,
  // A scheduled run that failed (the network's report or PostgreSQL out of reach) is tried again: a run replaces its
  // day, so a repeat is harmless. 5 tries a minute apart and doubling cover about half an hour of outage; the
  // operator's POST reruns the day after that.
  attemptsMax: 5,
  backoffDelayMs: 60_000,
  // Finished runs kept in Redis for the dashboard: three months of daily runs.
  runsKept: 100,
} as const;
