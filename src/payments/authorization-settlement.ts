// The settlement of authorizations by group commit: the outcomes of concurrently running authorization jobs are
// written by one transaction per batch (PaymentsService.completeAuthorization), and what the jobs that start together
// authorize is read together (pendingAuthorization). What is decided here without I/O: which item of a batch moves
// which payment.

/**
 * Bounds of a settlement batch. A batch holds one connection of the pool (DATABASE_POOL_SIZE, default 10) while it
 * writes, so a few of them leave the rest to the jobs' reads and to the API; under load a batch fills with the outcomes
 * that arrive while the others write, so it is bounded by the worker's concurrency more than by `batchMax`.
 */
export const settlementLimits = {
  // Its statements take arrays (a fixed number of parameters whatever the size), but its transaction keeps its
  // payments and its merchants' balance rows locked until it commits: 200 keeps that to milliseconds.
  batchMax: 200,
  // Two: one batch commits while the next is written. The batches of one merchant wait for each other on its
  // balance row anyway, so more would hold more connections without settling more.
  batchesInFlight: 2,
  // The reads before the network call (pendingAuthorization), gathered the same way: one select of the payments and
  // one of their vault entries per batch, on the pool without a transaction.
  readBatchMax: 200,
  readBatchesInFlight: 2,
};

/**
 * For each item of a batch (each names a payment), in order: the locked row it moves, or null when it changes
 * nothing. `locked` holds the batch's payments that were still `processing` when the batch locked them. A payment
 * moves once: the first item naming it gets its row, and another item of the batch naming it (its job running twice
 * at once) changes nothing, as it would in the next batch; so does an item whose payment is not among `locked`
 * (already final, or unknown).
 */
export function settlingRows<Row extends { id: string }>(
  paymentIds: readonly string[],
  locked: readonly Row[],
): (Row | null)[] {
  const unclaimed = new Map(locked.map((row) => [row.id, row]));
  return paymentIds.map((paymentId) => {
    const row = unclaimed.get(paymentId);
    if (!row) return null;
    unclaimed.delete(paymentId);
    return row;
  });
}
