import { getTableColumns, type InferSelectModel, type Table } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';

/** A column's name in the database: its own, or its key in snake_case (the Database's `casing`). */
function databaseNameOf(key: string, column: { name: string; keyAsName: boolean }): string {
  return column.keyAsName ? toSnakeCase(key) : column.name;
}

/**
 * Rows a raw statement returned from `table` (`RETURNING *` of a multi-row statement on arrays, say), as Drizzle
 * reads them: keyed by property, each value through its column's mapping (bigint, timestamps, enums, json). For the
 * hot statements whose Drizzle query building costs more than the statement (a multi-row insert builds every row's
 * every column).
 */
export function rowsOf<T extends Table>(table: T, rows: readonly Record<string, unknown>[]): InferSelectModel<T>[] {
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({
    key,
    name: databaseNameOf(key, column),
    column,
  }));
  return rows.map((row) => {
    const mapped: Record<string, unknown> = {};
    for (const { key, name, column } of columns) {
      const value = row[name];
      mapped[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return mapped as InferSelectModel<T>;
  });
}
