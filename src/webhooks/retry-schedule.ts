export interface RetryBackoff {
  /** The ceiling of the first retry delay; each later attempt doubles it. */
  baseDelayMs: number;
  /** No delay exceeds this, however many attempts were made. */
  maxDelayMs: number;
}

/**
 * The ceiling of the delay after `attemptsMade` failed attempts: baseDelayMs × 2^(attemptsMade − 1),
 * capped at maxDelayMs. Never decreases as attempts grow.
 */
export function webhookRetryDelayCeilingMs(attemptsMade: number, backoff: RetryBackoff): number {
  if (!Number.isSafeInteger(attemptsMade) || attemptsMade < 1) {
    throw new RangeError(`attemptsMade must be an integer of at least 1, got ${String(attemptsMade)}`);
  }
  const { baseDelayMs, maxDelayMs } = backoff;
  if (!Number.isSafeInteger(baseDelayMs) || baseDelayMs < 0) {
    throw new RangeError(`baseDelayMs must be a non-negative integer, got ${String(baseDelayMs)}`);
  }
  if (!Number.isSafeInteger(maxDelayMs) || maxDelayMs < baseDelayMs) {
    throw new RangeError(`maxDelayMs must be an integer of at least baseDelayMs, got ${String(maxDelayMs)}`);
  }
  // 2^1023 is the largest finite power of two; beyond it the product would be Infinity (or NaN for a zero base).
  return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(attemptsMade - 1, 1023));
}

/**
 * How long to wait before the next delivery attempt after `attemptsMade` failed ones (BullMQ counts from 1).
 * "Equal jitter": half of the exponential ceiling is fixed and the other half random, so the delay lies in
 * [ceiling / 2, ceiling]. Delays keep growing, while the retries of many deliveries that failed together
 * (an endpoint that was down) spread out instead of arriving as one burst.
 */
export function webhookRetryDelayMs(
  attemptsMade: number,
  backoff: RetryBackoff,
  random: () => number = Math.random,
): number {
  const ceilingMs = webhookRetryDelayCeilingMs(attemptsMade, backoff);
  const draw = random();
  if (!(draw >= 0 && draw < 1)) {
    throw new RangeError(`random() must return a number in [0, 1), got ${String(draw)}`);
  }
  const halfMs = ceilingMs / 2;
  return Math.floor(halfMs + draw * halfMs);
}
