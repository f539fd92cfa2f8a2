export const webhookLimits = {
  // Stripe's limit too: it bounds the fan-out of one event and the work of one merchant's deliveries.
  endpointsPerMerchantMax: 16,
  // 32 random bytes (256 bits) for the signing secret: as strong as the HMAC-SHA256 key can use.
  secretRandomBytes: 32,
  // Clear secrets of older endpoints sealed at start per transaction: short transactions, few round trips.
  secretSealBatchSize: 500,
  // Completed deliveries kept (and so de-duplicated by jobId) this long, and at most this many.
  completedJobsKeptSeconds: 24 * 60 * 60,
  completedJobsKeptCount: 10_000,
  // A receiver's answer is read and discarded up to this size; only the status code is kept.
  responseBodyReadMaxBytes: 64 * 1024,
  // How much of a failure reason is stored with a delivery attempt.
  errorLengthMax: 500,
  // A RabbitMQ message the fan-out could not handle (PostgreSQL or Redis down) is handed back after this delay,
  // so an outage is not turned into a redelivery loop.
  fanOutRetryDelayMs: 1_000,
};

/** The schedule of a job enqueued without one (not expected): the documented default. */
export const fallbackRetryBackoff = { baseDelayMs: 10 * 60_000, maxDelayMs: 6 * 60 * 60_000 };
