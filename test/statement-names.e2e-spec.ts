import { sql } from 'drizzle-orm';
import { parseConfig } from '../src/config/config.schema';
import { Database } from '../src/database/database';
import { databaseLimits } from '../src/database/database.limits';
import { statementNameOf } from '../src/database/statement-names';
import { runStatement, statement } from '../src/database/statement';
import { postgresServerUrl } from './support/test-database';

/**
 * The statements the service sends again and again are prepared once per connection (parsed once, their plan
 * kept), on the real PostgreSQL: what the write path's batches rely on to spend their server time executing.
 */
describe('hot statements prepared once per connection', () => {
  let database: Database;

  beforeAll(() => {
    // One connection, so every statement here runs on the one whose prepared statements are read.
    database = new Database(parseConfig({ DATABASE_URL: `${postgresServerUrl}/postgres`, DATABASE_POOL_SIZE: '1' }));
  });
  afterAll(async () => {
    await database.onApplicationShutdown();
  });

  const prepared = async () =>
    (
      await database.db.execute<{ name: string; statement: string }>(
        sql`SELECT name, statement FROM pg_prepared_statements`,
      )
    ).rows;

  it('names a parameterized statement once it is hot, and runs it as before', async () => {
    const results: number[][] = [];
    for (let round = 0; round < databaseLimits.statementNames.hotAfter + 2; round += 1) {
      const rows = await database.db.execute<{ doubled: number }>(
        sql`SELECT x * 2 AS doubled FROM unnest(${sql.param([round, round + 1])}::int[]) AS x /* hot */`,
      );
      results.push(rows.rows.map((row) => Number(row.doubled)));
    }
    expect(results.at(-1)).toEqual([2 * (results.length - 1), 2 * results.length]);
    const names = await prepared();
    const hot = names.find((entry) => entry.statement.includes('/* hot */'));
    expect(hot?.name).toBe(statementNameOf(hot!.statement));
    // Statements without parameters keep the simple protocol: never prepared.
    expect(names.some((entry) => /^\s*(begin|commit)\s*$/i.test(entry.statement))).toBe(false);
  });

  it('names the hot statements of runStatement and of pg’s own config form (values in the config) alike', async () => {
    for (let round = 0; round < databaseLimits.statementNames.hotAfter + 1; round += 1) {
      const { rows } = await runStatement<{ n: number }>(
        database.db,
        statement`SELECT count(*)::int AS n FROM unnest(${[round, round]}::int[]) /* tagged */`,
      );
      expect(rows).toEqual([{ n: 2 }]);
      await database.pool.query({ text: 'SELECT $1::int AS n /* config values */', values: [round] });
    }
    const names = await prepared();
    for (const marker of ['/* tagged */', '/* config values */']) {
      const hot = names.find((entry) => entry.statement.includes(marker));
      expect(hot?.name).toBe(statementNameOf(hot!.statement));
    }
  });

  it('leaves a statement sent rarely unnamed', async () => {
    await database.db.execute(sql`SELECT ${sql.param(1)}::int AS once /* rare */`);
    expect((await prepared()).some((entry) => entry.statement.includes('/* rare */'))).toBe(false);
  });
});
