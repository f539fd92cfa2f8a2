import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export const postgresServerUrl = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

/** A database name of its own for one test file, so files can run in parallel. */
export function uniqueDatabaseName(): string {
  return `payments_test_${randomBytes(5).toString('hex')}`;
}

export async function dropDatabase(name: string): Promise<void> {
  const client = new Client({ connectionString: `${postgresServerUrl}/postgres` });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
