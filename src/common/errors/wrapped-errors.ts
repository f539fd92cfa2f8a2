import { types } from 'node:util';

// Wrappers (DrizzleQueryError, Nest's, our own) nest the driver's error in `cause`; a cycle must not loop forever.
const causeDepthMax = 8;

function isErrorLike(value: unknown): value is Error {
  // isNativeError too: Node's socket errors come from its own realm when the caller runs in another (a vm context).
  return value instanceof Error || types.isNativeError(value);
}

/**
 * Pure: whether `error` or an error it wraps (its `cause`, an AggregateError's `errors`, to a bounded depth, cycles
 * included) satisfies `test`: how a driver's error is found under the wrappers around it.
 */
export function someWrappedError(error: unknown, test: (error: Error) => boolean, depth = 0): boolean {
  if (!isErrorLike(error) || depth > causeDepthMax) return false;
  if (test(error)) return true;
  const inner = (error as { errors?: unknown }).errors;
  if (Array.isArray(inner) && inner.some((each) => someWrappedError(each, test, depth + 1))) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== error && someWrappedError(cause, test, depth + 1);
}
