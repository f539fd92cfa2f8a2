import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Client, Pool } from 'pg';
import { isDependencyFailure } from '../src/common/errors/dependency-failure';
import { postgresServerUrl } from './support/test-database';

// What node-postgres and Drizzle really throw when PostgreSQL drops a connection (as a crash or restart does to
// every connection at once): each must be answered 503, not 500. Only this test's own backends are terminated.
describe('dependency failures from a real PostgreSQL', () => {
  const url = `${postgresServerUrl}/postgres`;
  const pool = new Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = drizzle(pool);
  const admin = new Client({ connectionString: url });

  beforeAll(() => admin.connect());
  afterAll(async () => {
    await pool.end().catch(() => undefined);
    await admin.end();
  });

  const terminate = (pid: number) => admin.query('SELECT pg_terminate_backend($1)', [pid]);

  it('classifies a transaction whose connection was terminated (the ROLLBACK fails in place of the query)', async () => {
    const failure = await db
      .transaction(async (tx) => {
        const { rows } = await tx.execute<{ pid: number }>(sql`SELECT pg_backend_pid() AS pid`);
        await terminate(rows[0]!.pid);
        await tx.execute(sql`SELECT 1`);
      })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(Error);
    expect(isDependencyFailure(failure)).toBe(true);
  });

  it('classifies a query on a connection terminated by the server (57P01 or the lost connection)', async () => {
    const client = new Client({ connectionString: url });
    client.on('error', () => undefined);
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await terminate(rows[0]!.pid);
    const failure = await client.query('SELECT 1').then(
      () => undefined,
      (error: unknown) => error,
    );
    await client.end().catch(() => undefined);
    expect(failure).toBeInstanceOf(Error);
    expect(isDependencyFailure(failure)).toBe(true);
  });

  it('classifies a connection refused and a pool that was ended (a request outliving shutdown)', async () => {
    const closedPort = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres', max: 1 });
    const refused = await closedPort.query('SELECT 1').then(
      () => undefined,
      (error: unknown) => error,
    );
    await closedPort.end();
    expect(isDependencyFailure(refused)).toBe(true);

    const ended = new Pool({ connectionString: url, max: 1 });
    await ended.end();
    const afterEnd = await drizzle(ended)
      .execute(sql`SELECT 1`)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(isDependencyFailure(afterEnd)).toBe(true);
  });

  it('does not classify an error of the query itself', async () => {
    const failure = await db.execute(sql`SELECT * FROM table_that_does_not_exist`).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(isDependencyFailure(failure)).toBe(false);
  });
});
