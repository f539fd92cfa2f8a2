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
  // A creation clears the merchant's cached routes before it commits and is refused (503) when the cache Redis
  // does not confirm it. One command that misses its deadline on a loaded machine should not refuse the creation,
  // so it is tried this many times in all: at most this many command deadlines (CACHE_COMMAND_TIMEOUT_MS, 100 ms
  // by default) inside the creation's transaction, well within PostgreSQL's 5 s idle-in-transaction limit.
  routesInvalidationAttemptsMax: 3,
};

/** The schedule of a job enqueued without one (not expected): the documented default. */
export const fallbackRetryBackoff = { baseDelayMs: 10 * 60_000, maxDelayMs: 6 * 60 * 60_000 };
