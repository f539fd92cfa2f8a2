import { type SQL, sql } from 'drizzle-orm';
import type { Tx } from './database';

/** What a part gives the statement's select list, and what is done with it once the statement ran. */
export interface PartResult {
  /** A scalar expression on the part's rows (the part must say RETURNING), e.g. rows => sql`(SELECT count(*) FROM ${rows})`. */
  tail: (rows: SQL) => SQL;
  /** Given the tail's value; throwing fails the statement's caller, so the transaction rolls back. */
  check?: (value: unknown) => void;
}

interface Part {
  statement: SQL;
  result: PartResult | undefined;
}

/**
 * The data-modifying statements of one transaction that read nothing of each other's rows, sent to PostgreSQL as
 * one statement: each becomes a common table expression of a single WITH, which PostgreSQL runs exactly once and
 * to completion whether or not the rest of the statement reads it. A group write (many requests' rows in many
 * tables) then pays one round trip, not one per table: on a machine where a round trip wakes a sleeping process,
 * the round trips are most of what a small batch costs.
 *
 * A part must be a plain INSERT, UPDATE or DELETE (no WITH of its own: PostgreSQL allows data-modifying CTEs at the
 * top level only). Every part sees the database as it was before the statement, so none may need another's rows;
 * foreign keys between parts still hold, as they are checked at the statement's end.
 *
 * Parts wait until `run`, or until `execute` sends a statement whose rows the caller needs: the parts added by then
 * without a result go in front of it, in the same round trip.
 */
export class CombinedWrite {
  private parts: Part[] = [];

  constructor(readonly tx: Tx) {}

  /** Adds a part; with `result`, its tail is read and checked when the parts run. */
  add(statement: SQL, result?: PartResult): void {
    this.parts.push({ statement, result });
  }

  /** Parts not yet sent. */
  get size(): number {
    return this.parts.length;
  }

  /**
   * Runs `statement` (a statement whose rows the caller reads, itself without a WITH) with the parts added so far
   * that have no result in front of it, and gives its rows.
   */
  async execute<Row extends Record<string, unknown>>(statement: SQL): Promise<Row[]> {
    const leading = this.parts.filter((part) => part.result === undefined);
    this.parts = this.parts.filter((part) => part.result !== undefined);
    const withClause = leadingCtes(leading);
    return (await this.tx.execute<Row>(withClause ? sql`${withClause} ${statement}` : statement)).rows as Row[];
  }

  /** Sends every part not yet sent, as one statement, then checks each part's result. */
  async run(): Promise<void> {
    const parts = this.parts;
    this.parts = [];
    if (parts.length === 0) return;
    const withClause = leadingCtes(parts)!;
    const tails = parts.map((part, index) =>
      part.result ? sql`${part.result.tail(sql.raw(cteName(index)))} AS ${sql.raw(tailName(index))}` : undefined,
    );
    const selected = tails.filter((tail): tail is SQL => tail !== undefined);
    const statement = sql`${withClause} SELECT ${selected.length > 0 ? sql.join(selected, sql`, `) : sql`1`}`;
    const [row] = (await this.tx.execute<Record<string, unknown>>(statement)).rows;
    parts.forEach((part, index) => part.result?.check?.(row?.[tailName(index)]));
  }
}

const cteName = (index: number) => `combined_${index}`;
const tailName = (index: number) => `combined_${index}_result`;

function leadingCtes(parts: readonly Part[]): SQL | undefined {
  if (parts.length === 0) return undefined;
  const ctes = parts.map((part, index) => sql`${sql.raw(cteName(index))} AS (${part.statement})`);
  return sql`WITH ${sql.join(ctes, sql`, `)}`;
}
