import { eq, type SQL } from 'drizzle-orm';
import { bigserial, PgDialect, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { ApiError } from '../common/errors/api-error';
import type { Database } from './database';
import { type Keyset, newestFirst, rowsAfter } from './keyset';

const things = pgTable('things', {
  sequence: bigserial({ mode: 'bigint' }).notNull(),
  id: text().primaryKey(),
  ownerId: text().notNull(),
  createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull(),
});
const bySequence: Keyset = { id: things.id, order: [things.sequence], what: 'thing' };
const byCreation: Keyset = { id: things.id, order: [things.createdAt, things.id], what: 'thing' };
const scope = eq(things.ownerId, 'own_1');

/** A Database whose cursor lookup answers `rows`, recording the condition it was asked. */
function databaseAnswering(rows: object[]) {
  const asked: SQL[] = [];
  const chain = {
    select: () => chain,
    from: () => chain,
    where: (condition: SQL) => {
      asked.push(condition);
      return chain;
    },
    limit: () => Promise.resolve(rows),
  };
  return { database: { db: chain } as unknown as Database, asked };
}

const dialect = new PgDialect({ casing: 'snake_case' });
const render = (condition: SQL | undefined) => {
  const { sql, params } = dialect.sqlToQuery(condition!);
  return { sql, params };
};

describe('keyset', () => {
  it('orders by its columns, descending', () => {
    expect(newestFirst(byCreation).map((order) => render(order).sql)).toEqual([
      '"things"."created_at" desc',
      '"things"."id" desc',
    ]);
    expect(newestFirst(bySequence).map((order) => render(order).sql)).toEqual(['"things"."sequence" desc']);
  });

  it('gives no condition on a first page, without a lookup', async () => {
    const { database, asked } = databaseAnswering([]);
    expect(await rowsAfter(database, bySequence, scope, undefined)).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('looks the cursor up within the scope and keeps the rows after it', async () => {
    const { database, asked } = databaseAnswering([{ first: 41n, second: 41n }]);
    const condition = await rowsAfter(database, bySequence, scope, 'thing_1');
    expect(render(condition)).toEqual({ sql: '"things"."sequence" < $1', params: [41n] });
    expect(render(asked[0])).toEqual({
      sql: '("things"."id" = $1 and "things"."owner_id" = $2)',
      params: ['thing_1', 'own_1'],
    });
  });

  it('breaks ties on the first column by the second, in a form the (…, first DESC, second DESC) index serves', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    const { database } = databaseAnswering([{ first: at, second: 'thing_5' }]);
    const condition = await rowsAfter(database, byCreation, scope, 'thing_5');
    expect(render(condition)).toEqual({
      sql: '("things"."created_at" < $1 or ("things"."created_at" = $2 and "things"."id" < $3))',
      params: [at.toISOString(), at.toISOString(), 'thing_5'],
    });
  });

  it('answers an unknown cursor (or one out of scope) with 400 parameter_invalid naming the row', async () => {
    const { database } = databaseAnswering([]);
    const refusal = await rowsAfter(database, byCreation, scope, 'thing_9').catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ApiError);
    expect(refusal).toMatchObject({
      status: 400,
      code: 'parameter_invalid',
      param: 'starting_after',
      message: "No such thing: 'thing_9'",
    });
  });
});
