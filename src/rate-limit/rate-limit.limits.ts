/** Every bound of the rate limiter, with the reason beside it. */

/** Deadline of one check on Redis. Past it the request is let through: a limiter that cannot answer must not take
 * the API down with it, and a healthy Redis answers in about a millisecond. */
export const rateLimitCheckTimeoutMs = 100;

/** Failed checks are logged at most once per this interval; every one is counted in rate_limit_checks_total. */
export const rateLimitFailureLogIntervalMs = 10_000;

/** Client addresses this process remembers as over their failed-authentication limit, so their next attempts are
 * refused without asking Redis until their wait ends. The least recently refused go first: memory stays bounded
 * however many addresses an attacker uses, and a forgotten one is only asked about in Redis again. */
export const authFailureRefusedAddressesMax = 10_000;
