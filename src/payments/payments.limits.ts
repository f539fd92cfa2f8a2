// API.md: description ≤ 1000 chars; metadata ≤ 20 keys, key ≤ 40 chars, value ≤ 500 chars.
export const paymentLimits = {
  descriptionLengthMax: 1000,
  metadataKeysMax: 20,
  metadataKeyLengthMax: 40,
  metadataValueLengthMax: 500,
  // Completed authorization jobs kept for the dashboard; failed ones are kept per DEAD_LETTER_RETENTION_COUNT.
  completedJobsKept: 1000,
  // Group commit of POST /v1/payments (PaymentIntake): creates per transaction at most, and transactions writing at
  // once at most. Under load a batch fills with the creates that arrive while the others write; each batch holds
  // one connection of the pool (DATABASE_POOL_SIZE, default 10), so the rest stay free for reads and jobs.
  createBatchMax: 200,
  createBatchesInFlight: 3,
};
