import type { SQL } from 'drizzle-orm';
import type { Tx } from './database';
import { runStatement, shiftParameters, type Statement, statementOf } from './statement';

/** What a part gives the statement's select list, and what is done with it once the statement ran. */
export interface PartResult {
  /**
   * A scalar expression on the part's rows (the part must say RETURNING), with `{rows}` where they are read, e.g.
   * `(SELECT count(*) FROM {rows})`. Fixed text: no parameters.
   */
  tail: string;
  /** Given the tail's value; throwing fails the statement's caller, so the transaction rolls back. */
  check?: (value: unknown) => void;
}

interface Part {
  statement: Statement;
  result: PartResult | undefined;
}

/** Combined texts kept (a write path has a handful of part sequences; past this the cache starts over). */
const combinedTextsKept = 256;
const combinedTexts = new Map<string, string>();

/**
 * The data-modifying statements of one transaction that read nothing of each other's rows, sent to PostgreSQL as
 * one statement: each becomes a common table expression of a single WITH, which PostgreSQL runs exactly once and
 * to completion whether or not the rest of the statement reads it. A group write (many requests' rows in many
 * tables) then pays one round trip, not one per table: on a machine where a round trip wakes a sleeping process,
 * the round trips are most of what a small batch costs.
 *
 * A part must be a plain INSERT, UPDATE or DELETE (no WITH of its own: PostgreSQL allows data-modifying CTEs at the
 * top level only), with no `$` followed by a digit but its parameters. Every part sees the database as it was before
 * the statement, so none may need another's rows; foreign keys between parts still hold, as they are checked at the
 * statement's end.
 *
 * Parts wait until `run`, or until `execute` sends a statement whose rows the caller needs: the parts added by then
 * without a result go in front of it, in the same round trip.
 *
 * The combined text is made once per sequence of part texts (a process sends the same few again and again), so a
 * run costs the parts' values and one lookup: parts written with the `statement` tag cost no query building at all.
 */
export class CombinedWrite {
  private parts: Part[] = [];

  constructor(readonly tx: Tx) {}

  /** Adds a part; with `result`, its tail is read and checked when the parts run. */
  add(statement: Statement | SQL, result?: PartResult): void {
    this.parts.push({ statement: statementOf(statement), result });
  }

  /** Parts not yet sent. */
  get size(): number {
    return this.parts.length;
  }

  /**
   * Runs `statement` (a statement whose rows the caller reads, itself without a WITH) with the parts added so far
   * that have no result in front of it, and gives its rows.
   */
  async execute<Row extends Record<string, unknown>>(statement: Statement | SQL): Promise<Row[]> {
    const leading = this.parts.filter((part) => part.result === undefined);
    this.parts = this.parts.filter((part) => part.result !== undefined);
    const last = statementOf(statement);
    if (leading.length === 0) return (await runStatement<Row>(this.tx, last)).rows;
    return (await runStatement<Row>(this.tx, combined(leading, last))).rows;
  }

  /** Sends every part not yet sent, as one statement, then checks each part's result. */
  async run(): Promise<void> {
    const parts = this.parts;
    this.parts = [];
    if (parts.length === 0) return;
    const [row] = (await runStatement<Record<string, unknown>>(this.tx, combined(parts))).rows;
    parts.forEach((part, index) => part.result?.check?.(row?.[tailName(index)]));
  }
}

const cteName = (index: number) => `combined_${index}`;
const tailName = (index: number) => `combined_${index}_result`;

/** `parts` as the CTEs of one WITH, then `last` (a statement whose rows are read) or the parts' tails. */
function combined(parts: readonly Part[], last?: Statement): Statement {
  const values = parts.flatMap((part) => part.statement.values);
  if (last) values.push(...last.values);
  // Texts and tails say everything the combined text depends on; \u0000 is in no SQL text.
  const key = `${parts.map((part) => `${part.statement.text}\u0000${part.result?.tail ?? ''}`).join('\u0000\u0000')}\u0001${last?.text ?? ''}`;
  let text = combinedTexts.get(key);
  if (text === undefined) {
    text = combinedText(parts, last);
    if (combinedTexts.size >= combinedTextsKept) combinedTexts.clear();
    combinedTexts.set(key, text);
  }
  return { text, values };
}

function combinedText(parts: readonly Part[], last: Statement | undefined): string {
  let before = 0;
  const ctes = parts.map((part, index) => {
    const cte = `${cteName(index)} AS (${shiftParameters(part.statement.text, before)})`;
    before += part.statement.values.length;
    return cte;
  });
  const withClause = `WITH ${ctes.join(', ')}`;
  if (last) return `${withClause} ${shiftParameters(last.text, before)}`;
  const tails = parts.flatMap((part, index) =>
    part.result ? [`${part.result.tail.replaceAll('{rows}', cteName(index))} AS ${tailName(index)}`] : [],
  );
  return `${withClause} SELECT ${tails.length > 0 ? tails.join(', ') : '1'}`;
}
