export const RECONCILIATION_QUEUE = 'reconciliation';
/** Reconciles the UTC day that ended before the run was due (the daily job scheduler's job). */
export const RECONCILE_DAY_JOB = 'reconcile-day';
