import { Client, type Notification } from 'pg';
import { CombinedWrite } from '../src/database/combined-write';
import { Database } from '../src/database/database';
import { outboxNotifyChannel } from '../src/outbox/outbox.limits';
import { OutboxRelay, sentOutcome, type OutboxMessage } from '../src/outbox/outbox.relay';
import { OutboxService } from '../src/outbox/outbox.service';
import { eventually } from './support/api';
import { startTestApp, type TestApp } from './support/test-app';

/**
 * Registers a dispatcher for each topic that takes every message (kept in `dispatched`) and counts the relay's passes
 * over these topics (`passes`); `watch` registers one more later.
 */
function watchTopics(
  relay: OutboxRelay,
  topics: readonly string[],
): {
  dispatched: Record<string, OutboxMessage[]>;
  passes: Record<string, number>;
  watch: (topic: string) => void;
} {
  const dispatched: Record<string, OutboxMessage[]> = {};
  const passes: Record<string, number> = {};
  const drainTopic = relay.drainTopic.bind(relay);
  jest.spyOn(relay, 'drainTopic').mockImplementation((topic: string) => {
    if (topic in passes) passes[topic]! += 1;
    return drainTopic(topic);
  });
  const watch = (topic: string) => {
    dispatched[topic] = [];
    passes[topic] = 0;
    relay.register(topic, (messages) => {
      dispatched[topic]!.push(...messages);
      return Promise.resolve(messages.map(() => sentOutcome));
    });
  };
  topics.forEach(watch);
  return { dispatched, passes, watch };
}

/**
 * A commit wakes the relay for the topics it added rows to, and only those: the notification names the topic, so
 * at a moderate rate each commit costs one pass of its own topics, not one of every topic.
 */
describe('outbox wake-ups by topic', () => {
  let subject: TestApp;
  let listener: Client;
  const heard: string[] = [];

  beforeAll(async () => {
    // The relay role, polling only once a minute: whatever drains a topic here was woken by a notification.
    subject = await startTestApp({ APP_ROLE: 'relay', OUTBOX_POLL_INTERVAL_MS: '60000' });
    listener = new Client({ connectionString: subject.config.database.url });
    await listener.connect();
    listener.on('notification', (notification: Notification) => heard.push(notification.payload ?? ''));
    await listener.query(`LISTEN ${outboxNotifyChannel}`);
  });
  afterAll(async () => {
    await listener?.end();
    await subject?.close();
  });

  const notificationsOf = async (write: () => Promise<unknown>): Promise<string[]> => {
    heard.length = 0;
    const marker = `marker-${Date.now()}`;
    await write();
    // Notifications come in commit order: once the marker is heard, the write's were too.
    await listener.query(`NOTIFY ${outboxNotifyChannel}, '${marker}'`);
    await eventually(
      () => Promise.resolve(heard.includes(marker)),
      (done) => done,
      { what: 'the marker notification' },
    );
    return heard.filter((payload) => payload !== marker).sort();
  };

  it('names each topic a transaction added rows to, once, whether written alone or as part of a combined write', async () => {
    const outbox = subject.app.get(OutboxService);
    const database = subject.app.get(Database);
    const alone = await notificationsOf(() =>
      database.transaction(async (tx) => {
        await outbox.addMany(tx, [
          { topic: 'test.alpha', payload: { n: 1 } },
          { topic: 'test.alpha', payload: { n: 2 } },
          { topic: 'test.beta', payload: { n: 3 } },
        ]);
        // Rows of a topic already notified, and of a new one, in a second statement of the same transaction.
        await outbox.addMany(tx, [
          { topic: 'test.alpha', payload: { n: 4 } },
          { topic: 'test.gamma', payload: { n: 5 } },
        ]);
      }),
    );
    expect(alone).toEqual(['test.alpha', 'test.beta', 'test.gamma']);

    const combined = await notificationsOf(() =>
      database.transaction(async (tx) => {
        const writes = new CombinedWrite(tx);
        outbox.addManyTo(writes, [
          { topic: 'test.delta', payload: { n: 6 } },
          { topic: 'test.alpha', payload: { n: 7 } },
        ]);
        await writes.run();
      }),
    );
    expect(combined).toEqual(['test.alpha', 'test.delta']);
  });

  it('wakes the drain of the committed topic only', async () => {
    const relay = subject.app.get(OutboxRelay);
    const outbox = subject.app.get(OutboxService);
    const database = subject.app.get(Database);
    const { dispatched, passes } = watchTopics(relay, ['test.woken', 'test.idle']);
    // Each new drain makes its first pass at once; wait for both to be idle, waiting for a wake-up.
    await eventually(
      () => Promise.resolve({ ...passes }),
      (seen) => seen['test.woken']! >= 1 && seen['test.idle']! >= 1,
      { what: 'the first pass of both topics' },
    );
    const idlePassesBefore = passes['test.idle']!;

    // A notification for a topic this relay does not drain wakes nothing here (it comes before the commit's own).
    await listener.query(`NOTIFY ${outboxNotifyChannel}, 'test.drained-elsewhere'`);
    await database.transaction((tx) => outbox.addMany(tx, [{ topic: 'test.woken', payload: { n: 1 } }]));
    await eventually(
      () => Promise.resolve(dispatched['test.woken']!.length),
      (count) => count === 1,
      { what: 'the woken topic dispatched its row' },
    );
    // Woken together, the idle topic would have passed by now (both wait the same gather time, then select).
    expect(passes['test.idle']).toBe(idlePassesBefore);
    expect(dispatched['test.idle']).toEqual([]);
  });
});

/**
 * The fallback for rows no notification announced is one poll for all topics: it wakes only the idle topics that have
 * unsent rows, so a relay with nothing to do runs no pass per topic and interval.
 */
describe('outbox fallback poll', () => {
  let subject: TestApp;

  beforeAll(async () => {
    subject = await startTestApp({ APP_ROLE: 'relay', OUTBOX_POLL_INTERVAL_MS: '50' });
  });
  afterAll(async () => {
    await subject?.close();
  });

  it('finds rows written without a notification, and leaves the topics without rows idle', async () => {
    const relay = subject.app.get(OutboxRelay);
    const database = subject.app.get(Database);
    const { dispatched, passes, watch } = watchTopics(relay, ['test.polled']);
    await eventually(
      () => Promise.resolve(passes['test.polled']!),
      (seen) => seen >= 1,
      { what: 'the first pass of the polled topic' },
    );
    // The relay's LISTEN connection wakes every topic it drains once it is listening. The quiet topic is registered
    // only once that wake-up is past, so that no pass of it but its first can come from anything but a poll.
    await eventually(
      () =>
        database.pool.query<{ listening: number }>(
          `SELECT count(*)::int AS listening FROM pg_stat_activity
           WHERE datname = current_database() AND query = 'LISTEN ${outboxNotifyChannel}' AND state = 'idle'`,
        ),
      (result) => result.rows[0]!.listening >= 1,
      { what: "the relay's LISTEN connection" },
    );
    // A notification sent now reaches the relay after its LISTEN answer, so once it made the polled topic pass, the
    // relay has taken that answer, and with it the wake-up of every topic it then drained.
    const polledPassesBeforeBarrier = passes['test.polled']!;
    await database.pool.query(`NOTIFY ${outboxNotifyChannel}, 'test.polled'`);
    await eventually(
      () => Promise.resolve(passes['test.polled']!),
      (seen) => seen > polledPassesBeforeBarrier,
      { what: 'the pass the notification asked for' },
    );
    watch('test.quiet');
    await eventually(
      () => Promise.resolve(passes['test.quiet']!),
      (seen) => seen >= 1,
      { what: 'the first pass of the quiet topic' },
    );
    let quietPassesBefore = 0;
    // Rows one after the other, each written without NOTIFY (as a writer of an earlier release might): each is found
    // only by a poll, so a poll interval at least goes by for each after the first.
    for (let row = 1; row <= 4; row += 1) {
      await database.pool.query(
        `INSERT INTO outbox (id, topic, payload) VALUES ('obx_polled_${Date.now()}_${row}', 'test.polled', $1)`,
        [{ row }],
      );
      await eventually(
        () => Promise.resolve(dispatched['test.polled']!.length),
        (count) => count === row,
        { what: `row ${row} found by the poll and dispatched` },
      );
      if (row === 1) quietPassesBefore = passes['test.quiet']!;
    }
    // A pass per topic and interval would have passed over the quiet topic at every poll meanwhile.
    expect(passes['test.quiet']).toBe(quietPassesBefore);
    expect(dispatched['test.quiet']).toEqual([]);
  });
});
