// Failures that mean PostgreSQL, Redis or RabbitMQ could not be reached: the client gets a 503 and may retry.
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
// PostgreSQL SQLSTATEs of class 08 (connection exception), 57P0x (shutdown) and 53300 (too many connections).
const postgresUnavailableStates = /^(08\d{3}|57P0[1-3]|53300)$/;
const unavailableMessages = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Connection is closed/i,
  /Reached the max retries per request limit/i,
  /Client network socket disconnected/i,
  /Command timed out/i,
];

export function isDependencyFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (networkErrorCodes.has(code) || postgresUnavailableStates.test(code))) return true;
  if (unavailableMessages.some((pattern) => pattern.test(error.message))) return true;
  const cause = (error as { cause?: unknown }).cause;
  if (cause !== undefined && cause !== error) return isDependencyFailure(cause);
  if (error instanceof AggregateError) return error.errors.some(isDependencyFailure);
  return false;
}
