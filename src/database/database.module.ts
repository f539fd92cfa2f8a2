import { Global, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Database } from './database';
import { migrateDatabase } from './migrate';

@Global()
@Module({ providers: [Database], exports: [Database] })
export class DatabaseModule implements OnModuleInit {
  private readonly logger = new Logger(DatabaseModule.name);

  constructor(
    private readonly config: AppConfig,
    private readonly database: Database,
  ) {}

  // Every role migrates at start (serialized by an advisory lock), so a fresh deployment needs no extra step; on the
  // direct session, since the lock and the DDL must stay on one server connection.
  async onModuleInit(): Promise<void> {
    await migrateDatabase(this.config.database.directUrl);
    await this.warnWithoutAutovacuum();
  }

  /**
   * Every payment leaves dead rows behind (its outbox rows marked sent, its status moved on, its idempotency key
   * answered); autovacuum clears them as they come. On a server with it off they pile up, and the relay's and the
   * workers' reads slow down with them (PostgreSQL's CPU per payment rose about 40 % over 20,000 payments): said once
   * at start, for the operator to turn it on or to schedule VACUUM.
   */
  private async warnWithoutAutovacuum(): Promise<void> {
    const { rows } = await this.database.pool.query<{ autovacuum: string }>('SHOW autovacuum');
    if (rows[0]?.autovacuum !== 'off') return;
    this.logger.warn(
      "PostgreSQL's autovacuum is off: the dead rows every payment leaves (outbox, payments, idempotency keys) pile " +
        'up and slow the relay and the workers down; turn it on, or run VACUUM (ANALYZE) on a schedule',
    );
  }
}
