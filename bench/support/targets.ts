/**
 * Issue 13's targets and the `sustained` scenario's bounds, in one place. Ratios are taken between scenarios of the
 * same run, so that the machine's speed cancels out.
 */
export const targets = {
  /** `create` reaches at least this many times `ceiling-db`'s payments per second... */
  createToCeilingDbRatioMin: 1.5,
  /** ...with its p99 at most this (autocannon, closed loop, 50 connections)... */
  createP99MsMax: 50,
  /** ...and no answer other than 2xx. */
  createNon2xxMax: 0,
  /** CPU-µs per payment end to end (create, authorization, ledger, both events published), every process. */
  cpuMicrosecondsPerPaymentMax: 1000,
  /** The highest `sustained` rate that holds, at least this many times `ceiling-db`. */
  sustainedToCeilingDbRatioMin: 0.5,
  /** `get-cached` (and `balance`'s cached read) reach at least this many times `ceiling-http`. */
  cachedReadToCeilingHttpRatioMin: 0.75,
  /** The app's resident memory, any process, any moment of the run. */
  appResidentMegabytesMax: 300,
} as const;

/** When a `sustained` step holds. */
export const sustainedBounds = {
  /** Create latency from each request's scheduled send time. */
  createP99MsMax: 100,
  /** Payments final, with both events published, this long after their create was scheduled... */
  settledWithinMs: 2000,
  /** ...at least this share of the requests the step scheduled. */
  settledShareMin: 0.99,
} as const;
