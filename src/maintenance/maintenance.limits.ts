export const maintenanceLimits = {
  /** Finished housekeeping jobs kept per outcome, for the dashboard. */
  jobsKept: 100,
} as const;
