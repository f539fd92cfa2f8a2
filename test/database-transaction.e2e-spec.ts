import { sql } from 'drizzle-orm';
import { type AppConfigValues, parseConfig } from '../src/config/config.schema';
import { Database } from '../src/database/database';
import { TcpProxy } from './support/events-tcp-proxy';
import { postgresServerUrl } from './support/test-database';

const poolSize = 3;

/**
 * PostgreSQL dropping every connection at once (a restart, a network cut) while the pool holds idle clients: the
 * transactions that take those dead clients fail, and none of them may keep its client checked out for good.
 */
describe('Database.transaction when PostgreSQL drops its connections', () => {
  let proxy: TcpProxy;
  let database: Database;

  beforeAll(async () => {
    proxy = await TcpProxy.start('127.0.0.1', Number(new URL(postgresServerUrl).port || 5432));
    const config: AppConfigValues = parseConfig({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/postgres`,
      DATABASE_POOL_SIZE: String(poolSize),
    });
    database = new Database(config);
  });
  afterAll(async () => {
    await proxy.restore();
    await database.onApplicationShutdown();
    await proxy.close();
  });

  const oneTransaction = () => database.transaction((tx) => tx.execute(sql`SELECT 1`));

  it('leaks no client: after the connections return, a pool-full of transactions still runs', async () => {
    await Promise.all(Array.from({ length: poolSize }, oneTransaction));
    expect(database.pool.idleCount).toBe(poolSize);

    await proxy.cut();
    // Taken at once, before the pool has noticed its idle clients are gone: BEGIN fails on them.
    const during = await Promise.allSettled(Array.from({ length: poolSize * 2 }, oneTransaction));
    expect(during.some((outcome) => outcome.status === 'rejected')).toBe(true);
    await proxy.restore();

    const after = await Promise.allSettled(Array.from({ length: poolSize }, oneTransaction));
    expect(after.map((outcome) => outcome.status)).toEqual(Array(poolSize).fill('fulfilled'));
    expect(database.pool.totalCount - database.pool.idleCount).toBe(0);
  });

  it('has PostgreSQL end a transaction left idle, so a frozen process cannot hold row locks for long', async () => {
    const shown = await database.transaction((tx) =>
      tx.execute<{ idle_in_transaction_session_timeout: string }>(sql`SHOW idle_in_transaction_session_timeout`),
    );
    expect(shown.rows[0]?.idle_in_transaction_session_timeout).toBe('5s');
  });
});
