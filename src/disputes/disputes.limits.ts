/** The disputes feature's bounds, each with its reason. */
export const disputeLimits = {
  // API.md: evidence text of at most 20,000 characters.
  evidenceTextLengthMax: 20_000,
  // Disputes recorded per poll at most: each is one short transaction; the next poll takes the rest, so a burst from
  // the network never makes one job run for long.
  openedPerPollMax: 100,
  // A network that has not decided yet when asked (evidence under review, or a clock a little behind ours at the
  // deadline) is asked again after this long.
  undecidedRecheckMs: 5_000,
  // Finished dispute jobs kept for the dashboard; failed ones are kept like every queue's (DEAD_LETTER_RETENTION_COUNT).
  jobsKept: 1_000,
} as const;
