import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { PgTransactionConfig } from 'drizzle-orm/pg-core';
import { ApiError } from '../common/errors/api-error';
import { Pool, type PoolClient } from 'pg';
import { AppConfig } from '../config/app-config';
import * as schema from './schema';
import { databaseLimits } from './database.limits';
import { isLostPreparedStatement, PreparedStatementsUnsupportedError, StatementNames } from './statement-names';
import { beginWithSettings, setLocalStatements } from './transaction-settings';

export type Db = NodePgDatabase<typeof schema>;
/** The handle a unit of work runs on: the pool outside a transaction, the transaction inside one. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** PostgreSQL through Drizzle on node-postgres; the system of record every module writes through. */
/** Work that follows a commit: synchronous, or a promise awaited before `transaction()` returns (its value unused). */
export type AfterCommitCallback = () => unknown;

/** Where list endpoints read (`Database.forListReads()`). */
export interface ListReads {
  readonly db: Db;
}

@Injectable()
export class Database implements OnApplicationShutdown {
  private readonly logger = new Logger(Database.name);
  /** The primary, directly or through a pooler in transaction mode (DATABASE_URL): no session state is kept on it. */
  readonly pool: Pool;
  readonly db: Db;
  /** The read-only copy the list endpoints read (DATABASE_REPLICA_URL), when there is one. */
  readonly replicaPool: Pool | undefined;
  private readonly listReads: ListReads;
  private readonly drizzleOptions = { schema, casing: 'snake_case' } as const;
  // Drizzle over one pool client, made once per client (making one costs ~45 µs) and dropped with the client.
  private readonly onClients = new WeakMap<PoolClient, NodePgDatabase<typeof schema>>();
  // Callbacks per open transaction of `transaction()`; a WeakMap, so a transaction that never ends leaks nothing.
  private readonly afterCommitCallbacks = new WeakMap<Tx, AfterCommitCallback[]>();
  // The statements sent again and again, prepared once per connection (see StatementNames), unless
  // DATABASE_PREPARED_STATEMENTS is false or a pooler turned out to lose them.
  private readonly statementNames = new StatementNames(databaseLimits.statementNames);
  private preparedStatements: boolean;
  private readonly setLocal = setLocalStatements({
    statementTimeoutMs: databaseLimits.statementTimeoutMs,
    idleInTransactionTimeoutMs: databaseLimits.idleInTransactionTimeoutMs,
  });

  constructor(config: AppConfig) {
    this.preparedStatements = config.database.preparedStatements;
    this.pool = this.newPool(config.database.url, config.database.poolSize);
    this.db = drizzle(this.pool, this.drizzleOptions);
    this.replicaPool = config.database.replicaUrl
      ? this.newPool(config.database.replicaUrl, config.database.poolSize)
      : undefined;
    this.listReads = { db: this.replicaPool ? drizzle(this.replicaPool, this.drizzleOptions) : this.db };
  }

  /**
   * Where a list endpoint reads: the replica when DATABASE_REPLICA_URL is set, the primary otherwise. A replica
   * lags behind the primary (README: "PgBouncer and a read replica"), so a list may miss the last writes; never for
   * a read that must see the caller's own last write (a single object by id, the balance, idempotency, anything a
   * write decides on).
   */
  forListReads(): ListReads {
    return this.listReads;
  }

  /**
   * A pool with no connection start-up parameters (a pooler refuses them): each transaction sets its timeouts with
   * SET LOCAL instead (see `sendQueries`).
   */
  private newPool(connectionString: string, max: number): Pool {
    const pool = new Pool({
      connectionString,
      max,
      connectionTimeoutMillis: databaseLimits.connectTimeoutMs,
      idleTimeoutMillis: databaseLimits.idleTimeoutMs,
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', (error) => this.logger.warn({ err: error }, 'idle PostgreSQL client failed'));
    // A client checked out of the pool has no pool listener: its connection dropping between two queries of a
    // transaction (PostgreSQL restarted, a network cut) would be an unhandled 'error' event and kill the process.
    // The query in flight or the next one fails on its own and the transaction rolls back.
    pool.on('connect', (client) => {
      client.on('error', (error) => this.logger.warn({ err: error }, 'PostgreSQL connection lost'));
      this.sendQueries(client);
    });
    return pool;
  }

  /**
   * Runs `work` in one transaction: all of it commits or none of it does.
   *
   * The connection is checked out here, not by Drizzle's pool transaction, which sends BEGIN outside its
   * try/finally: a BEGIN failing on a connection PostgreSQL has just dropped leaked that client for good, and a
   * few restarts of PostgreSQL exhausted the pool. A client whose transaction failed for any reason but a
   * refusal meant for the client (ApiError) is destroyed rather than returned: it may be the broken one.
   */
  async transaction<T>(work: (tx: Tx) => Promise<T>, config?: PgTransactionConfig): Promise<T> {
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      const callbacks: AfterCommitCallback[] = [];
      const result = await this.onClient(client).transaction((tx) => {
        this.afterCommitCallbacks.set(tx, callbacks);
        return work(tx);
      }, config);
      if (callbacks.length > 0) await this.runAfterCommit(callbacks);
      return result;
    } catch (error) {
      if (!(error instanceof ApiError)) failure = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      client.release(failure);
    }
  }

  private onClient(client: PoolClient): NodePgDatabase<typeof schema> {
    let db = this.onClients.get(client);
    if (!db) {
      db = drizzle(client, this.drizzleOptions);
      this.onClients.set(client, db);
    }
    return db;
  }

  /**
   * Runs `callback` once `tx` has committed, never when it rolls back: for what other transactions may rely on
   * only once it exists for them (an id in a process-wide cache), and for what must follow the commit (deleting
   * the cache entries it made stale). `transaction()` waits for every callback before it returns, so its caller
   * answers only after them; a callback that fails is logged, never turned into a failure of the committed work.
   * Returns false, and drops the callback, when `tx` was not opened by `transaction()` (a nested or foreign one),
   * so a caller can only ever act late, never early.
   */
  afterCommit(tx: Tx, callback: AfterCommitCallback): boolean {
    const callbacks = this.afterCommitCallbacks.get(tx);
    if (!callbacks) return false;
    callbacks.push(callback);
    return true;
  }

  private async runAfterCommit(callbacks: readonly AfterCommitCallback[]): Promise<void> {
    await Promise.all(
      callbacks.map(async (callback) => {
        try {
          await callback();
        } catch (error) {
          this.logger.error({ err: error }, 'a callback after a commit failed (the transaction stays committed)');
        }
      }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.pool.end(), this.replicaPool?.end()]);
  }

  /**
   * Routes `client`'s queries: a transaction's BEGIN carries its SET LOCAL settings in the same message, and a
   * parameterized statement sent again and again goes under its name (StatementNames), so that PostgreSQL parses
   * and plans it once per connection instead of at every execution. Statements without parameters (BEGIN, COMMIT)
   * keep the simple protocol's single message; a query object of its own (a cursor, a stream) and one already named
   * are left as they are.
   */
  private sendQueries(client: PoolClient): void {
    // The class's own query, looked up at each call: what patches the class later (a test counting queries) still
    // sees every query.
    const prototype = Object.getPrototypeOf(client) as { query: (...args: unknown[]) => unknown };
    const query = (...args: unknown[]) => prototype.query.apply(client, args);
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const [config, ...rest] = args as [QueryConfigArgument, ...unknown[]];
      // The values beside the config (Drizzle, runStatement) or in it (pg's own config form).
      const values = Array.isArray(rest[0]) ? rest[0] : typeof config === 'object' ? config?.values : undefined;
      if (typeof config !== 'object' || typeof config.text !== 'string' || typeof config.submit === 'function')
        return query(config, ...rest);
      if (!Array.isArray(values) || values.length === 0) {
        const begin = beginWithSettings(config.text, this.setLocal);
        return begin === undefined ? query(config, ...rest) : query({ ...config, text: begin }, ...rest);
      }
      const name =
        this.preparedStatements && config.name === undefined ? this.statementNames.nameOf(config.text) : undefined;
      if (name === undefined) return query(config, ...rest);
      // pg-pool's own query passes a callback (and gets no promise); Drizzle on a client awaits the promise.
      const callbackAt = rest.findIndex((argument) => typeof argument === 'function');
      if (callbackAt === -1)
        return (query({ ...config, name }, ...rest) as Promise<unknown>).catch((error: unknown) => {
          throw this.namedStatementFailed(name, error);
        });
      const callback = rest[callbackAt] as (error: unknown, result?: unknown) => void;
      const withCallback = rest.map((argument, index) =>
        index === callbackAt
          ? (error: unknown, result?: unknown) =>
              callback(error ? this.namedStatementFailed(name, error) : error, result)
          : argument,
      );
      return query({ ...config, name }, ...withCallback);
    };
  }

  /**
   * A named statement failing because the server connection does not hold it means a pooler in transaction mode
   * that does not keep prepared statements: said clearly once, and this process sends unnamed statements from then
   * on (each costs PostgreSQL a parse and a plan, nothing else changes). Any other failure is passed on as it is.
   */
  private namedStatementFailed(name: string, error: unknown): unknown {
    if (!isLostPreparedStatement(error)) return error;
    const unsupported = new PreparedStatementsUnsupportedError(name, error);
    if (this.preparedStatements) {
      this.preparedStatements = false;
      this.logger.error({ err: unsupported }, 'prepared statements lost between connections: turned off');
    }
    return unsupported;
  }
}

type QueryConfigArgument = { text?: unknown; name?: unknown; values?: unknown; submit?: unknown } | string | undefined;
