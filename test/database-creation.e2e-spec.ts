import { ensureDatabaseExists } from '../src/database/migrate';
import { dropDatabase, postgresServerUrl, uniqueDatabaseName } from './support/test-database';
import { Client } from 'pg';

// Several processes of a new deployment start at once on a server without their database: each one's first start
// creates it, and none may fail because another created it a moment before (or at the same moment).
describe('creating the database at first start', () => {
  const names: string[] = [];

  afterAll(async () => {
    for (const name of names) await dropDatabase(name);
  });

  it('lets many processes create the same new database at once: all succeed and it exists once', async () => {
    const concurrentStarts = 8;
    for (let round = 0; round < 5; round += 1) {
      const name = uniqueDatabaseName();
      names.push(name);
      const url = `${postgresServerUrl}/${name}`;
      const outcomes = await Promise.allSettled(
        Array.from({ length: concurrentStarts }, () => ensureDatabaseExists(url)),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
      const client = new Client({ connectionString: `${postgresServerUrl}/postgres` });
      await client.connect();
      try {
        const found = await client.query('SELECT count(*)::int AS count FROM pg_database WHERE datname = $1', [name]);
        expect(found.rows[0].count).toBe(1);
      } finally {
        await client.end();
      }
    }
  });
});
