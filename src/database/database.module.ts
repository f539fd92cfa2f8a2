import { Global, Module, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { Database } from './database';
import { migrateDatabase } from './migrate';

@Global()
@Module({ providers: [Database], exports: [Database] })
export class DatabaseModule implements OnModuleInit {
  constructor(private readonly config: AppConfig) {}

  // Every role migrates at start (serialized by an advisory lock), so a fresh deployment needs no extra step; on the
  // direct session, since the lock and the DDL must stay on one server connection.
  async onModuleInit(): Promise<void> {
    await migrateDatabase(this.config.database.directUrl);
  }
}
