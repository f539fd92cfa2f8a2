import { sql } from 'drizzle-orm';
import { Database } from '../src/database/database';
import { SWEEP_IDEMPOTENCY_KEYS_JOB } from '../src/maintenance/maintenance.constants';
import { eventually } from './support/api';
import { maintenanceScheduleEvery } from './support/maintenance-schedules';
import { startTestApp, type TestApp } from './support/test-app';

describe('expired idempotency keys', () => {
  let subject: TestApp;

  beforeAll(async () => {
    subject = await startTestApp({ IDEMPOTENCY_SWEEP_INTERVAL_MS: '1000' });
  });
  afterAll(async () => {
    await subject.close();
  });

  it('are deleted by the scheduled sweep while live keys stay', async () => {
    const database = subject.app.get(Database);
    await database.db.execute(sql`
      INSERT INTO idempotency_keys (scope, key, request_fingerprint, response_status, response_body, expires_at)
      VALUES ('mer_x', 'expired-1', 'f', 201, '{}', now() - interval '1 second'),
             ('mer_x', 'expired-2', 'f', 201, '{}', now() - interval '2 days'),
             ('mer_x', 'live', 'f', 201, '{}', now() + interval '1 day')`);
    expect(await maintenanceScheduleEvery(subject, SWEEP_IDEMPOTENCY_KEYS_JOB)).toBe(1000);
    const remaining = await eventually(
      async () =>
        (await database.db.execute<{ key: string }>(sql`SELECT key FROM idempotency_keys WHERE scope = 'mer_x'`)).rows,
      (rows) => rows.length === 1,
      { what: 'the expired keys being swept' },
    );
    expect(remaining).toEqual([{ key: 'live' }]);
  });
});
