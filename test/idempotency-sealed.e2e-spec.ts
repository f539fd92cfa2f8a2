import { sql } from 'drizzle-orm';
import { Database } from '../src/database/database';
import { IdempotencyService, type IdempotentRequest } from '../src/idempotency/idempotency.service';
import { uniqueKey } from './support/api';
import { startTestApp, type TestApp } from './support/test-app';

interface Row extends Record<string, unknown> {
  response_body: unknown;
  response_sealed: Buffer | null;
}

describe('stored idempotent responses are encrypted at rest', () => {
  let subject: TestApp;
  let database: Database;
  let idempotency: IdempotencyService;

  beforeAll(async () => {
    subject = await startTestApp();
    database = subject.app.get(Database);
    idempotency = subject.app.get(IdempotencyService);
  });
  afterAll(async () => {
    await subject.close();
  });

  const secretBody = { id: 'mer_x', api_key: 'sk_test_secretshownonce' };

  function request(key: string): IdempotentRequest {
    return { scope: 'operator', key, method: 'POST', path: '/v1/test/sealed', body: { name: 'x' } };
  }

  async function rowOf(key: string): Promise<Row> {
    const result = await database.db.execute<Row>(sql`
      SELECT response_body, response_sealed FROM idempotency_keys WHERE scope = 'operator' AND key = ${key}`);
    return result.rows[0]!;
  }

  it('stores the response sealed, with nothing of it readable, and replays it as first sent', async () => {
    const key = uniqueKey('sealed');
    const first = await idempotency.execute(request(key), () => Promise.resolve({ status: 201, body: secretBody }));
    const row = await rowOf(key);
    expect(row.response_body).toBeNull();
    expect(row.response_sealed).toBeInstanceOf(Buffer);
    expect(row.response_sealed!.toString('latin1')).not.toContain('sk_test_');
    const replay = await idempotency.execute(request(key), () => Promise.reject(new Error('must not run')));
    expect(replay).toEqual({ ...first, replayed: true });
    expect(replay.body).toEqual(secretBody);
  });

  it('binds a sealed response to its key: moved onto another key it does not open', async () => {
    const source = uniqueKey('source');
    const target = uniqueKey('target');
    await idempotency.execute(request(source), () => Promise.resolve({ status: 201, body: secretBody }));
    await idempotency.execute(request(target), () => Promise.resolve({ status: 201, body: { id: 'mer_y' } }));
    await database.db.execute(sql`
      UPDATE idempotency_keys SET response_sealed = (
        SELECT response_sealed FROM idempotency_keys WHERE scope = 'operator' AND key = ${source})
      WHERE scope = 'operator' AND key = ${target}`);
    await expect(
      idempotency.execute(request(target), () => Promise.reject(new Error('must not run'))),
    ).rejects.toThrow();
  });

  it('seals responses an earlier version stored in the clear, and still replays them', async () => {
    const key = uniqueKey('legacy');
    const fingerprintOf = await idempotency.execute(request(`${key}-probe`), () =>
      Promise.resolve({ status: 201, body: {} }),
    );
    expect(fingerprintOf.status).toBe(201);
    // A row as the previous version stored it: the body in the clear in response_body.
    await database.db.execute(sql`
      INSERT INTO idempotency_keys (scope, key, request_fingerprint, response_status, response_body, expires_at)
      SELECT 'operator', ${key}, request_fingerprint, 201, ${JSON.stringify(secretBody)}::jsonb, now() + interval '1 day'
      FROM idempotency_keys WHERE scope = 'operator' AND key = ${`${key}-probe`}`);
    const replayedClear = await idempotency.execute(request(key), () => Promise.reject(new Error('must not run')));
    expect(replayedClear.body).toEqual(secretBody);

    expect(await idempotency.sealStoredInTheClear()).toBeGreaterThanOrEqual(1);
    const row = await rowOf(key);
    expect(row.response_body).toBeNull();
    expect(row.response_sealed!.toString('latin1')).not.toContain('sk_test_');
    const clearLeft = await database.db.execute(sql`
      SELECT count(*)::int AS n FROM idempotency_keys WHERE response_body IS NOT NULL`);
    expect(clearLeft.rows[0]).toEqual({ n: 0 });
    const replayed = await idempotency.execute(request(key), () => Promise.reject(new Error('must not run')));
    expect(replayed).toEqual({ status: 201, body: secretBody, replayed: true });
  });
});
