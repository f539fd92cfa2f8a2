import { someWrappedError } from '../common/errors/wrapped-errors';

/**
 * Pure: whether `error` is PostgreSQL's unique violation on idempotency_keys (23505), however deeply wrapped: a key
 * that `IdempotencyService.claimStoredManyTo` inserted already had a row, and the batch must claim the careful way.
 */
export function isKeyTakenError(error: unknown): boolean {
  return someWrappedError(error, (inner) => {
    const { code, table } = inner as { code?: unknown; table?: unknown };
    return code === '23505' && table === 'idempotency_keys';
  });
}
