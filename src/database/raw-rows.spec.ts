import { sql } from 'drizzle-orm';
import { bigint, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { rowsOf } from './raw-rows';

const widgets = pgTable('widgets', {
  id: text().primaryKey(),
  ownerId: text().notNull(),
  size: bigint({ mode: 'bigint' }).notNull(),
  count: integer()
    .notNull()
    .default(sql`0`),
  labelText: text('label'),
  details: jsonb().$type<Record<string, unknown>>(),
  createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
});

describe('rowsOf', () => {
  it('reads raw rows (snake_case names, values as the driver gives them) as Drizzle reads the table', () => {
    const [row] = rowsOf(widgets, [
      {
        id: 'w_1',
        owner_id: 'o_1',
        size: '9007199254740993',
        count: 3,
        label: 'named by the column',
        details: { a: 1 },
        created_at: '2026-11-30 17:10:00.123+00',
      },
    ]);
    expect(row).toEqual({
      id: 'w_1',
      ownerId: 'o_1',
      size: 9007199254740993n,
      count: 3,
      labelText: 'named by the column',
      details: { a: 1 },
      createdAt: new Date('2026-11-30T17:10:00.123Z'),
    });
  });

  it('keeps nulls and missing values as null', () => {
    const [row] = rowsOf(widgets, [{ id: 'w_2', owner_id: 'o_1', size: '1', count: 0, label: null, created_at: null }]);
    expect(row).toMatchObject({ labelText: null, details: null, createdAt: null });
  });
});
