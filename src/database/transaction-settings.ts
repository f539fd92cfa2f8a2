/** The PostgreSQL settings each transaction of the service gives itself. */
export interface TransactionSettings {
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

/**
 * The settings as `SET LOCAL` statements: they last until the transaction ends, so they hold on whichever server
 * connection a pooler in transaction mode lends (PgBouncer refuses them as connection start-up parameters, and a
 * session `SET` would stay behind on a server connection other clients then borrow).
 */
export function setLocalStatements(settings: TransactionSettings): string {
  for (const [name, value] of Object.entries(settings))
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`transaction setting ${name} must be a count of ms`);
  return [
    `SET LOCAL statement_timeout = ${settings.statementTimeoutMs}`,
    `SET LOCAL idle_in_transaction_session_timeout = ${settings.idleInTransactionTimeoutMs}`,
  ].join('; ');
}

const beginStatement = /^\s*begin\b[^;]*$/i;

/**
 * `text` with `setLocal` sent in the same message when it is a transaction's BEGIN (with or without its isolation
 * level and access mode), otherwise undefined: one round trip opens the transaction and sets it up, where a statement
 * of its own would cost one more per transaction. Only a lone BEGIN is extended; a text that already holds several
 * statements is not.
 */
export function beginWithSettings(text: string, setLocal: string): string | undefined {
  return beginStatement.test(text) ? `${text}; ${setLocal}` : undefined;
}
