/** Configuration that keeps the real retry machinery but on a test's time scale. */
export const fastProcessing = {
  PAYMENT_BACKOFF_DELAY_MS: '20',
  CARD_NETWORK_LATENCY_MS: '1',
  OUTBOX_POLL_INTERVAL_MS: '50',
};
