import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { apiErrors } from '../common/errors/api-error';
import type { ListReads } from './database';

/**
 * How a list is ordered, newest first: by a column unique and increasing per row (`sequence`), or by creation time
 * with the id breaking ties. Lists page by keyset (`starting_after` = the last id of the previous page), never by
 * offset, so a page costs the same however deep it is and rows inserted meanwhile never shift it.
 *
 * All columns belong to one table, and the last order column is unique (it breaks every tie). Timestamps compared
 * here must be millisecond-precise (`timestamp (3)`, as schema.ts declares them): the cursor's value makes a round
 * trip through a JavaScript Date.
 */
export interface Keyset {
  /** The id column `starting_after` names. */
  readonly id: AnyPgColumn;
  /** The columns the list is ordered by, descending: `[sequence]` or `[createdAt, id]`. */
  readonly order: readonly [AnyPgColumn] | readonly [AnyPgColumn, AnyPgColumn];
  /** What a row is, for the 400 on an unknown cursor: `No such ${what}: '…'`. */
  readonly what: string;
}

/** The ORDER BY of `keyset`: its columns, descending (as the lists' indexes are declared). */
export function newestFirst(keyset: Keyset): SQL[] {
  return keyset.order.map((column) => desc(column));
}

/**
 * The condition that keeps the rows after `startingAfter` in `keyset`'s order, or undefined on a first page (no
 * `starting_after`). The cursor must be a row `scope` allows (the merchant's own; `scope` may name only the
 * keyset's table): another merchant's id answers 400 like an unknown one, so a cursor reveals nothing.
 *
 * The condition is `first < c1` or `first < c1 OR (first = c1 AND second < c2)` with the cursor's values as
 * parameters: forms PostgreSQL matches to an index on (scope columns, order columns DESC).
 */
export async function rowsAfter(
  reads: ListReads,
  keyset: Keyset,
  scope: SQL,
  startingAfter: string | undefined,
): Promise<SQL | undefined> {
  if (!startingAfter) return undefined;
  const [first, second] = keyset.order;
  const [cursor] = await reads.db
    .select({ first, second: second ?? first })
    .from(keyset.id.table)
    .where(and(eq(keyset.id, startingAfter), scope))
    .limit(1);
  if (!cursor) throw apiErrors.parameterInvalid('starting_after', `No such ${keyset.what}: '${startingAfter}'`);
  if (!second) return lt(first, cursor.first);
  return or(lt(first, cursor.first), and(eq(first, cursor.first), lt(second, cursor.second)));
}
