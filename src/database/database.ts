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
    this.db = drizzle(this.pool, { schema, casing: 'snake_case' });
  }

  /** Runs `work` in one transaction: all of it commits or none of it does. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
