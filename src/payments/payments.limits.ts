// API.md: description ≤ 1000 chars; metadata ≤ 20 keys, key ≤ 40 chars, value ≤ 500 chars.
export const paymentLimits = {
  descriptionLengthMax: 1000,
  metadataKeysMax: 20,
  metadataKeyLengthMax: 40,
  metadataValueLengthMax: 500,
  // Completed authorization jobs kept for the dashboard; failed ones are kept per DEAD_LETTER_RETENTION_COUNT.
  completedJobsKept: 1000,
};
