import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { Pool } from 'pg';
import { AppConfig } from '../config/app-config';
import * as schema from './schema';
import { databaseLimits } from './database.limits';

export type Db = NodePgDatabase<typeof schema>;
/** The handle a unit of work runs on: the pool outside a transaction, the transaction inside one. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** PostgreSQL through Drizzle on node-postgres; the system of record every module writes through. */
@Injectable()
export class Database implements OnApplicationShutdown {
  private readonly logger = new Logger(Database.name);
  readonly pool: Pool;
  readonly db: Db;
  // Callbacks per open transaction of `transaction()`; a WeakMap, so a transaction that never ends leaks nothing.
  private readonly afterCommitCallbacks = new WeakMap<Tx, (() => void)[]>();

  constructor(config: AppConfig) {
    this.pool = new Pool({
      connectionString: config.database.url,
      max: config.database.poolSize,
      connectionTimeoutMillis: databaseLimits.connectTimeoutMs,
      idleTimeoutMillis: databaseLimits.idleTimeoutMs,
      statement_timeout: databaseLimits.statementTimeoutMs,
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    this.pool.on('error', (error) => this.logger.warn({ err: error }, 'idle PostgreSQL client failed'));
    // A client checked out of the pool has no pool listener: its connection dropping between two queries of a
    // transaction (PostgreSQL restarted, a network cut) would be an unhandled 'error' event and kill the process.
    // The query in flight or the next one fails on its own and the transaction rolls back.
    this.pool.on('connect', (client) => {
      client.on('error', (error) => this.logger.warn({ err: error }, 'PostgreSQL connection lost'));
    });
    this.db = drizzle(this.pool, { schema, casing: 'snake_case' });
  }

  /** Runs `work` in one transaction: all of it commits or none of it does. */
  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const callbacks: (() => void)[] = [];
    const result = await this.db.transaction((tx) => {
      this.afterCommitCallbacks.set(tx, callbacks);
      return work(tx);
    });
    for (const callback of callbacks) callback();
    return result;
  }

  /**
   * Runs `callback` once `tx` has committed, never when it rolls back: for what other transactions may rely on
   * only once it exists for them (an id in a process-wide cache). Returns false, and drops the callback, when `tx`
   * was not opened by `transaction()` (a nested or foreign one), so a caller can only ever act late, never early.
   */
  afterCommit(tx: Tx, callback: () => void): boolean {
    const callbacks = this.afterCommitCallbacks.get(tx);
    if (!callbacks) return false;
    callbacks.push(callback);
    return true;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
