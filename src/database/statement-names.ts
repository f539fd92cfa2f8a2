import { createHash } from 'node:crypto';

export interface StatementNamesLimits {
  /** A text is named from its `hotAfter`-th sending on. */
  hotAfter: number;
  /** Texts named at most, ever: each named statement stays in every connection's memory until it closes. */
  maxNames: number;
  /** Distinct texts counted at most: past this, texts not yet counted are never named. */
  maxCounted: number;
}

/**
 * Names for the statements this service sends again and again, so that PostgreSQL parses each once per connection
 * and can keep its plan: node-postgres sends an unnamed statement's Parse every time, and PostgreSQL parses and
 * plans it anew at every Bind (about 0.2 ms of its CPU per statement here, as much as a small batch's execution).
 *
 * A text is named once it has been sent `hotAfter` times (the statements of the write path use `unnest` over arrays,
 * so their text is the same whatever the batch's size); at most `maxNames` texts are ever named, so texts that vary
 * with their input (a multi-row VALUES list) cannot fill the connections' memory. A name is a hash of its text: the
 * same text has the same name on every connection and in every process, and two texts never share one.
 */
export class StatementNames {
  private readonly counts = new Map<string, number>();
  private readonly names = new Map<string, string>();

  constructor(private readonly limits: StatementNamesLimits) {}

  /** The name `text` is sent under, or undefined while it is not (yet) one this service sends again and again. */
  nameOf(text: string): string | undefined {
    const named = this.names.get(text);
    if (named !== undefined || this.names.size >= this.limits.maxNames) return named;
    const counted = this.counts.get(text);
    if (counted === undefined && this.counts.size >= this.limits.maxCounted) return undefined;
    const count = (counted ?? 0) + 1;
    if (count < this.limits.hotAfter) {
      this.counts.set(text, count);
      return undefined;
    }
    this.counts.delete(text);
    const name = statementNameOf(text);
    this.names.set(text, name);
    return name;
  }

  /** Texts named so far (for tests and metrics). */
  get size(): number {
    return this.names.size;
  }
}

/** A statement's name from its text: `s_` and 32 hex characters of its SHA-256 (PostgreSQL keeps 63 bytes). */
export function statementNameOf(text: string): string {
  return `s_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
}

// SQLSTATEs of a named statement the connection should hold and does not (26000 invalid_sql_statement_name), or
// holds when it should not (42P05 duplicate_prepared_statement).
const lostPreparedStatementStates = new Set(['26000', '42P05']);

/**
 * True when `error` says a server connection does not hold the named statements its client prepared on it: what a
 * pooler in transaction mode that does not track prepared statements causes (each transaction may run on another
 * server connection). On a direct connection node-postgres knows what it prepared, so this never happens there.
 */
export function isLostPreparedStatement(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && lostPreparedStatementStates.has(code);
}

/** A named statement lost by a pooler in transaction mode, said as such with what to change. */
export class PreparedStatementsUnsupportedError extends Error {
  constructor(name: string, cause: unknown) {
    super(
      `PostgreSQL's connection does not hold the prepared statement ${name} this client prepared: a pooler in ` +
        'transaction mode that does not keep prepared statements is in between (PgBouncer before 1.21, or ' +
        'max_prepared_statements = 0). Set DATABASE_PREPARED_STATEMENTS=false, or max_prepared_statements in PgBouncer ' +
        '1.21 or later; this process sends unnamed statements from now on.',
      { cause },
    );
    this.name = 'PreparedStatementsUnsupportedError';
  }
}
