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

  const settings = sql`SELECT current_setting('statement_timeout') AS statement_timeout,
    current_setting('idle_in_transaction_session_timeout') AS idle_in_transaction_session_timeout`;
  type Settings = { statement_timeout: string; idle_in_transaction_session_timeout: string };

  it('has PostgreSQL end a transaction left idle or a statement run away, so none holds row locks for long', async () => {
    const shown = await database.transaction((tx) => tx.execute<Settings>(settings));
    expect(shown.rows[0]).toEqual({ statement_timeout: '15s', idle_in_transaction_session_timeout: '5s' });
    // Drizzle's transaction with an isolation level opens with a BEGIN of its own, which carries them too.
    const repeatable = await database.transaction((tx) => tx.execute<Settings>(settings), {
      isolationLevel: 'repeatable read',
    });
    expect(repeatable.rows[0]).toEqual(shown.rows[0]);
  });

  it('sets them per transaction (SET LOCAL), leaving nothing on the connection a pooler would lend to others', async () => {
    await database.transaction((tx) => tx.execute(sql`SELECT 1`));
    // Outside a transaction, on the same connections: the server's defaults (none of this service's settings).
    const defaults = await database.db.execute<Settings>(settings);
    expect(defaults.rows[0]?.statement_timeout).not.toBe('15s');
    expect(defaults.rows[0]?.idle_in_transaction_session_timeout).not.toBe('5s');
  });
});
