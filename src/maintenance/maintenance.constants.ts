export const MAINTENANCE_QUEUE = 'maintenance';
export const SWEEP_IDEMPOTENCY_KEYS_JOB = 'sweep-idempotency-keys';
export const VERIFY_LEDGER_JOB = 'verify-ledger';
export const SWEEP_STRANDED_PAYMENTS_JOB = 'sweep-stranded-payments';
export const SWEEP_SENT_OUTBOX_JOB = 'sweep-sent-outbox';
