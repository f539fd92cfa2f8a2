/** Wrappers (DrizzleQueryError, Nest's, our own) nest the driver's error in `cause`; a cycle must not loop forever. */
const causeDepthMax = 8;

/**
 * Pure: whether `error` is PostgreSQL's unique violation on idempotency_keys (23505), however deeply wrapped: a key
 * that `IdempotencyService.claimStoredManyTo` inserted already had a row, and the batch must claim the careful way.
 */
export function isKeyTakenError(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > causeDepthMax) return false;
  const { code, table, cause } = error as { code?: unknown; table?: unknown; cause?: unknown };
  if (code === '23505' && table === 'idempotency_keys') return true;
  return cause !== error && isKeyTakenError(cause, depth + 1);
}
