export const MAINTENANCE_QUEUE = 'maintenance';
export const SWEEP_IDEMPOTENCY_KEYS_JOB = 'sweep-idempotency-keys';
