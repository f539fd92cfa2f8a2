import { sql } from 'drizzle-orm';
import { parseConfig } from '../src/config/config.schema';
import { Database } from '../src/database/database';
import { runStatement, statement } from '../src/database/statement';
import { postgresServerUrl } from './support/test-database';

/**
 * runStatement on the real PostgreSQL: rows read as Drizzle's `execute` reads them (what rowsOf maps), values sent
 * as node-postgres sends them (arrays, bytea, null), and a failure wrapped as Drizzle wraps it.
 */
describe('runStatement', () => {
  let database: Database;

  beforeAll(() => {
    database = new Database(parseConfig({ DATABASE_URL: `${postgresServerUrl}/postgres` }));
  });
  afterAll(async () => {
    await database.onApplicationShutdown();
  });

  it('reads every column type as Drizzle’s execute does', async () => {
    const columns = `now() AS at, '2026-01-02'::date AS day, interval '90 minutes' AS span, 12345678901234::bigint AS big,
      '{"a":[1,"x"]}'::jsonb AS doc, ARRAY[timestamptz '2026-01-02T03:04:05Z'] AS ats, true AS yes, 'x'::bytea AS raw,
      1.5::numeric AS exact, NULL::text AS nothing`;
    const drizzleRow = (await database.db.execute(sql.raw(`SELECT ${columns}`))).rows[0]!;
    const text = `SELECT ${columns}`;
    const ours = (await runStatement(database.db, { text, values: [] })).rows[0]!;
    expect(ours).toEqual({ ...drizzleRow, at: ours.at });
    expect(typeof ours.at).toBe('string');
    expect(ours.day).toBe('2026-01-02');
    expect(ours.big).toBe('12345678901234');
    expect(ours.doc).toEqual({ a: [1, 'x'] });
  });

  it('sends arrays of text, bytea with any byte, and nulls as their elements', async () => {
    const texts = ['plain', 'with "quotes", commas and \\ backslashes', '', null, 'line\nbreak', 'ünïcode'];
    const bytes = [Buffer.from([0, 1, 2, 255]), Buffer.alloc(0), null];
    const { rows } = await runStatement<{ texts: (string | null)[]; bytes: (Buffer | null)[] }>(
      database.db,
      statement`SELECT ${texts}::text[] AS texts, ${bytes}::bytea[] AS bytes`,
    );
    expect(rows[0]!.texts).toEqual(texts);
    expect(rows[0]!.bytes).toEqual(bytes);
  });

  it('wraps a failure with the driver’s error as its cause, as Drizzle does', async () => {
    const failure = await runStatement(database.db, statement`SELECT 1 / ${0}::int`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ cause: { code: '22012' } });
  });
});
