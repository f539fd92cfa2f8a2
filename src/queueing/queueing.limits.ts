/** Every bound of the queueing module, with the reason beside it. */

/** At shutdown, how long the shared Redis Cluster connection of the queues may take to quit gracefully (replies
 * to commands in flight) before its sockets are dropped: a cluster that stopped answering must not hold up the
 * exit past SHUTDOWN_TIMEOUT_MS, and by then every worker has closed already. */
export const queueClusterQuitTimeoutMs = 1_000;
