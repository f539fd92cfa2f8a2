import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import { recordSentStatements, type SentStatements } from './support/sent-statements';
import { parseConfig } from '../src/config/config.schema';
import { CombinedWrite } from '../src/database/combined-write';
import { Database } from '../src/database/database';
import { dropDatabase, postgresServerUrl, uniqueDatabaseName } from './support/test-database';

/**
 * CombinedWrite on the real PostgreSQL: independent writes of one transaction sent as one statement, and what the
 * group write of POST /v1/payments relies on (every part runs, a failed check rolls everything back, a foreign key
 * between parts holds, `execute` sends the waiting parts in front of a read).
 */
describe('CombinedWrite', () => {
  const name = uniqueDatabaseName();
  let database: Database;
  let recording: SentStatements;

  beforeAll(async () => {
    const admin = new Client({ connectionString: `${postgresServerUrl}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    database = new Database(parseConfig({ DATABASE_URL: `${postgresServerUrl}/${name}` }));
    await database.db.execute(sql`
      CREATE TABLE parents (id text PRIMARY KEY);
      CREATE TABLE children (id text PRIMARY KEY, parent_id text NOT NULL REFERENCES parents (id));
      CREATE TABLE notes (id text PRIMARY KEY, body text NOT NULL)`);
    // Every statement the pool's clients send, to count round trips.
    recording = recordSentStatements();
  });
  beforeEach(() => {
    recording.sent.length = 0;
  });
  afterAll(async () => {
    recording.stop();
    await database.onApplicationShutdown();
    await dropDatabase(name);
  });

  const count = async (table: string) =>
    Number((await database.db.execute<{ n: string }>(sql.raw(`SELECT count(*) AS n FROM ${table}`))).rows[0]!.n);

  it('sends every part in one statement, each one run, and checks each result', async () => {
    const seen: unknown[] = [];
    await database.transaction(async (tx) => {
      const writes = new CombinedWrite(tx);
      writes.add(sql`INSERT INTO notes (id, body) VALUES ('n1', 'one'), ('n2', 'two')`);
      writes.add(sql`INSERT INTO parents (id) VALUES ('p1') RETURNING id`, {
        tail: '(SELECT count(*) FROM {rows})',
        check: (value) => seen.push(value),
      });
      expect(writes.size).toBe(2);
      await writes.run();
      expect(writes.size).toBe(0);
    });
    // begin, the combined statement, commit.
    expect(recording.sent).toHaveLength(3);
    expect(recording.sent[1]).toMatch(/^WITH combined_0 AS \(INSERT INTO notes/);
    expect(seen.map(Number)).toEqual([1]);
    expect(await count('notes')).toBe(2);
    expect(await count('parents')).toBe(1);
  });

  it('rolls the whole transaction back when a check throws', async () => {
    const before = { notes: await count('notes'), parents: await count('parents') };
    await expect(
      database.transaction(async (tx) => {
        const writes = new CombinedWrite(tx);
        writes.add(sql`INSERT INTO notes (id, body) VALUES ('n3', 'three')`);
        writes.add(sql`INSERT INTO parents (id) VALUES ('p2') RETURNING id`, {
          tail: '(SELECT count(*) FROM {rows})',
          check: (value) => {
            if (Number(value) !== 2) throw new Error(`expected 2 rows, got ${String(value)}`);
          },
        });
        await writes.run();
      }),
    ).rejects.toThrow('expected 2 rows, got 1');
    expect(await count('notes')).toBe(before.notes);
    expect(await count('parents')).toBe(before.parents);
  });

  it('sends the waiting parts in front of a statement whose rows are read, and a foreign key between them holds', async () => {
    const rows = await database.transaction(async (tx) => {
      const writes = new CombinedWrite(tx);
      writes.add(sql`INSERT INTO parents (id) VALUES ('p3')`);
      const read = await writes.execute<{ id: string; parent_id: string }>(
        sql`INSERT INTO children (id, parent_id) VALUES ('c1', 'p3') RETURNING id, parent_id`,
      );
      expect(writes.size).toBe(0);
      return read;
    });
    expect(rows).toEqual([{ id: 'c1', parent_id: 'p3' }]);
    expect(recording.sent).toHaveLength(3);
    // A child whose parent is in no part is refused: the key is checked at the statement's end, not skipped.
    const refused = await database
      .transaction(async (tx) => {
        const writes = new CombinedWrite(tx);
        writes.add(sql`INSERT INTO parents (id) VALUES ('p4')`);
        await writes.execute(sql`INSERT INTO children (id, parent_id) VALUES ('c2', 'nobody') RETURNING id`);
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    // foreign_key_violation
    expect(refused).toMatchObject({ cause: { code: '23503' } });
    expect(await count('children')).toBe(1);
  });

  it('keeps parts with a result for run, and run with nothing waiting sends nothing', async () => {
    await database.transaction(async (tx) => {
      const writes = new CombinedWrite(tx);
      writes.add(sql`INSERT INTO notes (id, body) VALUES ('n9', 'nine') RETURNING id`, {
        tail: '(SELECT count(*) FROM {rows})',
      });
      await writes.execute(sql`SELECT 1 AS one`);
      expect(writes.size).toBe(1);
      // Not sent with the SELECT: the transaction itself does not see the note yet.
      const noteInTx = async () =>
        Number((await tx.execute<{ n: string }>(sql`SELECT count(*) AS n FROM notes WHERE id = 'n9'`)).rows[0]!.n);
      expect(await noteInTx()).toBe(0);
      await writes.run();
      expect(await noteInTx()).toBe(1);
      await writes.run();
    });
    // The part went once, with the first run: the second run sent nothing.
    expect(recording.sent.filter((text) => /combined_0/.test(text))).toHaveLength(1);
    expect(await count('notes')).toBe(3);
  });
});
