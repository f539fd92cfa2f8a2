import type { Client } from 'pg';
import { EVENT_PUBLISH_TOPIC } from '../../src/events/events.constants';
import { EventsConsumer } from '../support/events-consumer';
import { TcpProxy } from '../support/events-tcp-proxy';
import { OwnRedis } from '../support/own-redis';
import { AppProcess, assertBuilt, killAll } from './support/app-process';
import { databaseClient, secondsUntilAllFinal } from './support/audit';
import { FaultStack } from './support/fault-stack';
import { runFault } from './support/figures';
import { createFaultMerchant, LoadDriver } from './support/load-driver';

const paymentCount = 1_000;
// The relay hands each topic at most this many rows per pass (src/outbox/outbox.limits.ts batchSize).
const relayWindow = 200;
const publishedDeadlineMs = 90_000;

describe('RabbitMQ cut with more than the relay window of events pending', () => {
  let redis: OwnRedis | undefined;
  let proxy: TcpProxy | undefined;
  let consumer: EventsConsumer | undefined;
  let stack: FaultStack | undefined;
  let apps: AppProcess[] = [];
  let database: Client | undefined;

  beforeAll(async () => {
    assertBuilt();
    redis = await OwnRedis.start();
    proxy = await TcpProxy.start('127.0.0.1', 5672);
    stack = new FaultStack('rabbitmq-cut', { redisUrl: redis.url, rabbitmqUrl: proxy.url() });
    consumer = await EventsConsumer.start(stack.eventsExchange);
    const api = await AppProcess.start('api', stack.environment);
    apps = [
      api,
      ...(await Promise.all([
        AppProcess.start('relay', stack.environment),
        AppProcess.start('worker', stack.environment),
      ])),
    ];
    database = await databaseClient(stack.databaseUrl);
  });

  afterAll(async () => {
    await database?.end().catch(() => undefined);
    await killAll(apps);
    await consumer?.close().catch(() => undefined);
    await proxy?.close();
    await stack?.cleanup();
    await redis?.stop();
  });

  it('authorizes during the cut and publishes every event afterwards, in order per payment', async () => {
    await runFault(
      {
        name: 'rabbitmq-cut',
        title: 'RabbitMQ cut',
        load: `${paymentCount} payments, 32 concurrent`,
        fault: 'TCP proxy to RabbitMQ cut for the whole burst, then restored',
      },
      async (figures) => {
        const api = apps[0]!;
        const merchant = await createFaultMerchant(api.url);
        await proxy!.cut();
        const load = new LoadDriver({
          apiUrls: () => [api.url],
          merchant,
          count: paymentCount,
          concurrency: 32,
          deadlineMs: 90_000,
          label: 'rabbitmq-cut',
        });
        const cutAtMs = Date.now();
        await load.run();
        const ids = [...load.acknowledged.values()];
        const authorizedDuringCut = await secondsUntilAllFinal(database!, ids, cutAtMs, 90_000);
        const pending = await database!.query<{ n: string }>(
          'SELECT count(*) AS n FROM outbox WHERE sent_at IS NULL AND topic = $1',
          [EVENT_PUBLISH_TOPIC],
        );
        const pendingAtRestore = Number(pending.rows[0]!.n);
        await proxy!.restore();
        const restoredAtMs = Date.now();
        const recorded = await database!.query<{ id: string; object_id: string }>(
          `SELECT id, object_id FROM events WHERE merchant_id = $1 ORDER BY sequence`,
          [merchant.id],
        );
        const expected = new Set(recorded.rows.map((row) => row.id));
        const deadline = Date.now() + publishedDeadlineMs;
        const missing = (): number => {
          const received = consumer!.distinctEventIds();
          let count = 0;
          for (const id of expected) if (!received.has(id)) count += 1;
          return count;
        };
        while (missing() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        const lost = missing();
        figures.recoverySeconds = lost === 0 ? (Date.now() - restoredAtMs) / 1_000 : null;
        // In order per payment: each payment's events, first arrivals only, come in the order they were recorded.
        const firstArrival = new Map<string, number>();
        consumer!.received.forEach((message, index) => {
          if (!firstArrival.has(message.event.id)) firstArrival.set(message.event.id, index);
        });
        const byPayment = new Map<string, number[]>();
        for (const row of recorded.rows) {
          const arrival = firstArrival.get(row.id);
          if (arrival === undefined) continue;
          byPayment.set(row.object_id, [...(byPayment.get(row.object_id) ?? []), arrival]);
        }
        const outOfOrder = [...byPayment.values()].filter((arrivals) =>
          arrivals.some((arrival, index) => index > 0 && arrival < arrivals[index - 1]!),
        ).length;
        figures.lost = lost;
        figures.duplicated = 0;
        figures.serverErrors = load.serverErrors;
        figures.details = {
          eventsRecorded: expected.size,
          messagesReceived: consumer!.received.length,
          redeliveries: consumer!.received.length - consumer!.distinctEventIds().size,
          pendingAtRestore,
          authorizedDuringCutSeconds: authorizedDuringCut,
          outOfOrder,
        };
        if (authorizedDuringCut === null) figures.failures.push('payments stopped being authorized during the cut');
        if (pendingAtRestore <= relayWindow)
          figures.failures.push(`only ${pendingAtRestore} events pending: not more than the relay window`);
        if (lost > 0) figures.failures.push(`${lost} events never published`);
        if (outOfOrder > 0) figures.failures.push(`${outOfOrder} payments' events out of order`);
        if (load.serverErrors > 0) figures.failures.push(`${load.serverErrors} 5xx answers`);
        if (load.unanswered.length > 0) figures.failures.push(`${load.unanswered.length} payments never accepted`);
      },
    );
  });
});
