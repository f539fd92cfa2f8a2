export const SETTLEMENT_QUEUE = 'settlement';

/** Moves every due pending amount to available (SETTLEMENT_RELEASE_INTERVAL_MS), as POST /v1/admin/settlements/run. */
export const RELEASE_SETTLEMENTS_JOB = 'release-settlements';
