import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { Client } from 'pg';
import { databaseLimits } from './database.limits';

// Resolves to <project>/drizzle from both src/database (tests) and dist/database (built).
export const migrationsFolder = path.resolve(__dirname, '..', '..', 'drizzle');

/**
 * Whether CREATE DATABASE failed only because another session created the same database at the same moment: 42P04
 * when the other one had committed, 23505 on pg_database's name index when both were inserting at once (the second
 * first starts of a deployment on an empty server, say). Either way the database now exists.
 */
export function isCreatedConcurrently(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return code === '42P04' || (code === '23505' && constraint === 'pg_database_datname_index');
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Creates the database named in `databaseUrl` when it does not exist yet. */
export async function ensureDatabaseExists(databaseUrl: string): Promise<void> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (!name) throw new Error('DATABASE_DIRECT_URL (or DATABASE_URL) names no database');
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new Client({
    connectionString: maintenance.toString(),
    connectionTimeoutMillis: databaseLimits.connectTimeoutMs,
  });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount === 0) {
      await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`).catch((error: unknown) => {
        if (!isCreatedConcurrently(error)) throw error;
      });
    }
  } finally {
    await client.end();
  }
}

/**
 * Creates the database if needed and applies every committed migration, one process at a time. `databaseUrl` must
 * reach PostgreSQL directly (DATABASE_DIRECT_URL): the advisory lock belongs to the session that took it.
 */
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  await ensureDatabaseExists(databaseUrl);
  const client = new Client({
    connectionString: databaseUrl,
    connectionTimeoutMillis: databaseLimits.connectTimeoutMs,
  });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [databaseLimits.migrationAdvisoryLockKey]);
    await migrate(drizzle(client), { migrationsFolder });
  } finally {
    await client
      .query('SELECT pg_advisory_unlock($1)', [databaseLimits.migrationAdvisoryLockKey])
      .catch(() => undefined);
    await client.end();
  }
}
