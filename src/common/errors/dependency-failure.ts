import { someWrappedError } from './wrapped-errors';

// Failures that mean PostgreSQL, Redis or RabbitMQ could not be reached, or the connection to one broke: the
// client gets a 503 and may retry (the same request, with the same Idempotency-Key, succeeds once it is back).
const networkErrorCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);
// PostgreSQL SQLSTATEs of class 08 (connection exception), 57P01 admin_shutdown, 57P02 crash_shutdown,
// 57P03 cannot_connect_now (starting up, in crash recovery) and 53300 (too many connections).
const postgresUnavailableStates = /^(08\d{3}|57P0[1-3]|53300)$/;
// Driver errors that carry no code, only their text (node-postgres, pg-pool, ioredis).
const unavailableMessages = [
  // pg: the socket ended ('Connection terminated unexpectedly'), or pg-pool gave up connecting
  // ('Connection terminated due to connection timeout').
  /Connection terminated/i,
  // pg-pool: no connection within connectionTimeoutMillis.
  /timeout exceeded when trying to connect/i,
  // pg: a query (often the ROLLBACK of a transaction whose connection just broke, which Drizzle reports in place
  // of the query that failed first) on a client whose connection failed.
  /Client has encountered a connection error and is not queryable/i,
  // pg and pg-pool after end(): the process is shutting down; another instance, or this one restarted, will answer.
  /Client was closed and is not queryable/i,
  /Cannot use a pool after calling end on the pool/i,
  // ioredis.
  /Connection is closed/i,
  /Reached the max retries per request limit/i,
  /Client network socket disconnected/i,
  /Command timed out/i,
];
function isUnavailableItself(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (networkErrorCodes.has(code) || postgresUnavailableStates.test(code))) return true;
  return unavailableMessages.some((pattern) => pattern.test(error.message));
}

/** True when `error`, or an error it wraps, says a dependency is down or unreachable rather than that we erred. */
export function isDependencyFailure(error: unknown): boolean {
  return someWrappedError(error, isUnavailableItself);
}
