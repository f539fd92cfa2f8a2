/**
 * How fast the outbox relay moves rows, and what each costs the app's CPU (issue 13, the relay's part). Not a
 * test: run it by hand, on a machine as quiet as you can get (it prints the load average):
 *
 *   node --import ./bench/support/swc-register.mts test/relay-throughput.measure.ts
 *   # RELAY_JOB_ROWS=5000 RELAY_EVENT_ROWS=2000 RELAY_ROUNDS=3
 *
 * One app in the `relay` role (no workers, no HTTP) on a database and queue prefix of its own. Each round commits
 * a burst of rows in one transaction (one NOTIFY) and times the relay from that commit until every row is marked
 * sent, with this process's CPU time over the same span (the app runs in this process; the poller's share is
 * a count every 20 ms). Jobs: `payment.authorize` rows (BullMQ jobs that no worker takes). Events: two per ordering
 * key (`payment.processing`, then `payment.succeeded`, as a payment writes them), published to RabbitMQ.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { connect } from 'amqplib';
import { Client } from 'pg';
import { deleteRedisKeys } from '../bench/support/scratch-resources';
import { rabbitmqServerUrl } from './support/events-rabbitmq';
import { startTestApp } from './support/test-app';

const jobRows = Number(process.env.RELAY_JOB_ROWS ?? 5_000);
const eventRows = Number(process.env.RELAY_EVENT_ROWS ?? 2_000);
const rounds = Number(process.env.RELAY_ROUNDS ?? 3);
const pollMs = 20;
const drainDeadlineMs = Number(process.env.RELAY_DRAIN_DEADLINE_MS ?? 300_000);

interface Round {
  what: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  cpuMicrosPerRow: number;
}

async function unsent(client: Client, topic: string): Promise<number> {
  const { rows } = await client.query<{ count: string }>(
    'SELECT count(*) FROM outbox WHERE sent_at IS NULL AND topic = $1',
    [topic],
  );
  return Number(rows[0]!.count);
}

async function timeDrain(client: Client, what: string, topic: string, rows: number, insert: string): Promise<Round> {
  await client.query('BEGIN');
  await client.query(insert);
  await client.query(`SELECT pg_notify('outbox', '')`);
  const cpuBefore = process.cpuUsage();
  const startedAtMs = performance.now();
  await client.query('COMMIT');
  while ((await unsent(client, topic)) > 0) {
    if (performance.now() - startedAtMs > drainDeadlineMs) throw new Error(`${what}: not drained in time`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  const seconds = (performance.now() - startedAtMs) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    what,
    rows,
    seconds: Math.round(seconds * 1000) / 1000,
    rowsPerSecond: Math.round(rows / seconds),
    cpuMicrosPerRow: Math.round((cpu.user + cpu.system) / rows),
  };
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg();
  const subject = await startTestApp({ APP_ROLE: 'relay', OUTBOX_POLL_INTERVAL_MS: '500', LOG_LEVEL: 'warn' });
  const client = new Client({ connectionString: subject.config.database.url });
  await client.connect();
  const results: Round[] = [];
  try {
    const merchantId = `mer_${randomBytes(12).toString('hex')}`;
    await client.query(`INSERT INTO merchants (id, name) VALUES ($1, 'relay throughput')`, [merchantId]);
    for (let round = 1; round <= rounds; round += 1) {
      const tag = `${round}_${randomBytes(4).toString('hex')}`;
      results.push(
        await timeDrain(
          client,
          `jobs round ${round}`,
          'payment.authorize',
          jobRows,
          `INSERT INTO outbox (id, topic, payload)
           SELECT 'obx_job_${tag}_' || n, 'payment.authorize', jsonb_build_object('paymentId', 'pay_${tag}_' || n)
           FROM generate_series(1, ${jobRows}) AS n ORDER BY n`,
        ),
      );
      // Events and their outbox rows in outbox order: key k's processing event, then its succeeded one.
      await client.query(`
        INSERT INTO events (id, merchant_id, type, object_id, data)
        SELECT 'evt_${tag}_' || n, '${merchantId}', CASE WHEN n % 2 = 0 THEN 'payment.processing' ELSE 'payment.succeeded' END,
               'pay_${tag}_' || (n / 2), jsonb_build_object('object', jsonb_build_object('id', 'pay_${tag}_' || (n / 2), 'object', 'payment'))
        FROM generate_series(0, ${eventRows - 1}) AS n ORDER BY n`);
      results.push(
        await timeDrain(
          client,
          `events round ${round}`,
          'event.publish',
          eventRows,
          `INSERT INTO outbox (id, topic, payload)
           SELECT 'obx_evt_${tag}_' || n, 'event.publish',
                  jsonb_build_object('eventId', 'evt_${tag}_' || n, 'orderingKey', 'payment:pay_${tag}_' || (n / 2))
           FROM generate_series(0, ${eventRows - 1}) AS n ORDER BY n`,
        ),
      );
    }
    // Every event reached RabbitMQ: the webhook fan-out's queue (declared by the publisher, no consumer in this
    // role) holds one message per event row.
    const connection = await connect(rabbitmqServerUrl);
    try {
      const channel = await connection.createChannel();
      const { messageCount } = await channel.checkQueue(subject.config.webhooks.eventsQueue);
      if (messageCount !== eventRows * rounds)
        throw new Error(`${messageCount} messages on the webhook queue for ${eventRows * rounds} events`);
      await channel.purgeQueue(subject.config.webhooks.eventsQueue);
    } finally {
      await connection.close();
    }
  } catch (error) {
    console.error(subject.logs.lines.slice(-10).join('\n'));
    throw error;
  } finally {
    await client.end();
    await subject.close();
    await deleteRedisKeys([subject.config.redis.url], subject.config.redis.queuePrefix).catch(() => 0);
  }
  const loadAtEnd = os.loadavg();
  console.table(results);
  console.log(
    JSON.stringify({
      cpus: os.cpus().length,
      loadAverageAtStart: loadAtStart.map((value) => Math.round(value * 100) / 100),
      loadAverageAtEnd: loadAtEnd.map((value) => Math.round(value * 100) / 100),
    }),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
