/** Every bound of the rate limiter, with the reason beside it. */

/** Deadline of one check on Redis. Past it the request is let through: a limiter that cannot answer must not take
 * the API down with it, and a healthy Redis answers in about a millisecond. */
export const rateLimitCheckTimeoutMs = 100;

/** Failed checks are logged at most once per this interval; every one is counted in rate_limit_checks_total. */
export const rateLimitFailureLogIntervalMs = 10_000;
