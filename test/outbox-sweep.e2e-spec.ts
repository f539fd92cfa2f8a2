import { sql } from 'drizzle-orm';
import { Database } from '../src/database/database';
import { SWEEP_SENT_OUTBOX_JOB } from '../src/maintenance/maintenance.constants';
import { OutboxService } from '../src/outbox/outbox.service';
import { eventually } from './support/api';
import { maintenanceScheduleEvery } from './support/maintenance-schedules';
import { startTestApp, type TestApp } from './support/test-app';

// A topic no dispatcher drains: rows written here by hand (without NOTIFY) are never picked up by the relay.
const topic = 'test.outbox-sweep';

/** Outbox rows written by hand: `name` is the id's suffix; ages in hours before now; sentHoursAgo null = unsent. */
async function insertRows(
  database: Database,
  rows: readonly { name: string; createdHoursAgo: number; sentHoursAgo: number | null }[],
): Promise<void> {
  for (const row of rows) {
    await database.db.execute(sql`
      INSERT INTO outbox (id, topic, payload, created_at, sent_at)
      VALUES (${`obx_sweep_${row.name}`}, ${topic}, '{}'::jsonb, now() - ${row.createdHoursAgo}::int * interval '1 hour',
        CASE WHEN ${row.sentHoursAgo}::int IS NULL THEN NULL ELSE now() - ${row.sentHoursAgo}::int * interval '1 hour' END)`);
  }
}

async function remainingNames(database: Database): Promise<string[]> {
  const { rows } = await database.db.execute<{ id: string }>(
    sql`SELECT id FROM outbox WHERE topic = ${topic} ORDER BY sequence`,
  );
  return rows.map((row) => row.id.replace('obx_sweep_', ''));
}

// What must stay: rows not sent (the relay's, whatever their age), sent within the retention (2 h here), and one
// created long ago but sent just now (the retention counts from the sending).
const keptRows = [
  { name: 'old-unsent', createdHoursAgo: 50, sentHoursAgo: null },
  { name: 'old-but-sent-now', createdHoursAgo: 50, sentHoursAgo: 0 },
  { name: 'recent-sent', createdHoursAgo: 1, sentHoursAgo: 1 },
  { name: 'recent-unsent', createdHoursAgo: 0, sentHoursAgo: null },
];

describe('sent outbox rows', () => {
  describe('through the scheduled sweep', () => {
    let subject: TestApp;
    beforeAll(async () => {
      subject = await startTestApp({ OUTBOX_SWEEP_INTERVAL_MS: '1000', OUTBOX_RETENTION_HOURS: '2' });
    });
    afterAll(async () => {
      await subject.close();
    });

    it('are deleted once sent longer ago than OUTBOX_RETENTION_HOURS, and nothing else is', async () => {
      const database = subject.app.get(Database);
      await insertRows(database, [
        { name: 'sent-3h', createdHoursAgo: 3, sentHoursAgo: 3 },
        ...keptRows,
        { name: 'sent-30h', createdHoursAgo: 30, sentHoursAgo: 29 },
      ]);
      expect(await maintenanceScheduleEvery(subject, SWEEP_SENT_OUTBOX_JOB)).toBe(1000);
      const remaining = await eventually(
        () => remainingNames(database),
        (names) => !names.includes('sent-3h') && !names.includes('sent-30h'),
        { what: 'the old sent rows being swept' },
      );
      expect(remaining.sort()).toEqual(keptRows.map((row) => row.name).sort());
    });
  });

  describe('swept directly, with no schedule running (role api)', () => {
    let subject: TestApp;
    beforeAll(async () => {
      subject = await startTestApp({ APP_ROLE: 'api' });
    });
    afterAll(async () => {
      await subject.close();
    });

    it('go in batches until the first batch that holds a row within the retention, and say how many went', async () => {
      const database = subject.app.get(Database);
      const outbox = subject.app.get(OutboxService);
      const old = ['a', 'b', 'c', 'd', 'e'].map((name) => ({
        name: `old-${name}`,
        createdHoursAgo: 10,
        sentHoursAgo: 9,
      }));
      await insertRows(database, [...old, ...keptRows]);
      // Batches of 2: three batches of old rows (the last one half kept), then the kept rows end the walk.
      expect(await outbox.sweepSent(2 * 3_600_000, 2)).toBe(old.length);
      expect((await remainingNames(database)).sort()).toEqual(keptRows.map((row) => row.name).sort());
      expect(await outbox.sweepSent(2 * 3_600_000, 2)).toBe(0);
    });

    it('stops at the first young row: older sent rows after it in sequence order wait for a later sweep', async () => {
      const database = subject.app.get(Database);
      const outbox = subject.app.get(OutboxService);
      await database.db.execute(sql`DELETE FROM outbox WHERE topic = ${topic}`);
      // Created young, then (out of order, as a long transaction could) an old sent row: the walk stops before it.
      await insertRows(database, [
        { name: 'young', createdHoursAgo: 0, sentHoursAgo: null },
        { name: 'late-old-sent', createdHoursAgo: 10, sentHoursAgo: 9 },
      ]);
      expect(await outbox.sweepSent(2 * 3_600_000, 1)).toBe(0);
      expect(await remainingNames(database)).toEqual(['young', 'late-old-sent']);
      // A batch that reaches past the young row takes it with the rest.
      expect(await outbox.sweepSent(2 * 3_600_000, 10)).toBe(1);
      expect(await remainingNames(database)).toEqual(['young']);
    });
  });
});
