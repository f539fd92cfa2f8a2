import { connect } from 'amqplib';
import type { Client } from 'pg';
import type { EventObject } from '../../src/events/event-types';
import { EventsConsumer } from '../support/events-consumer';
import { queueTypeOf, rabbitmqServerUrl } from '../support/events-rabbitmq';
import { TcpProxy } from '../support/events-tcp-proxy';
import { OwnRedis } from '../support/own-redis';
import { WebhookReceiver } from '../support/webhooks-receiver';
import { AppProcess, assertBuilt, killAll } from './support/app-process';
import { databaseClient, secondsUntilAllFinal } from './support/audit';
import { FaultStack } from './support/fault-stack';
import { runFault } from './support/figures';
import { createFaultMerchant, type FaultMerchant, LoadDriver } from './support/load-driver';
import { pollUntil } from './support/poll';

const paymentCount = 300;
// The first node is cut once this many payments were acknowledged (and events were flowing through it).
const cutAfterAcknowledged = 100;
// Created once the first node is back, to show nothing depends on which node the app is on.
const paymentsAfterRestore = 20;
// The relay's publisher and the worker's webhook subscriber: the process's long-lived RabbitMQ connections (the api
// opens none, and /health/live, all the processes are polled on, needs no RabbitMQ).
const longLivedConnections = 2;
const failoverDeadlineMs = 30_000;
const eventsDeadlineMs = 90_000;

/** The merchant's recorded events, in the order they were recorded. */
async function recordedEvents(database: Client, merchantId: string) {
  const { rows } = await database.query<{ id: string; object_id: string }>(
    'SELECT id, object_id FROM events WHERE merchant_id = $1 ORDER BY sequence',
    [merchantId],
  );
  return rows;
}

/** Payments (by object id) whose events' first arrivals are not in the order they were recorded. */
function outOfOrderPayments(recorded: readonly { id: string; object_id: string }[], arrivals: readonly string[]) {
  const firstArrival = new Map<string, number>();
  arrivals.forEach((eventId, index) => {
    if (!firstArrival.has(eventId)) firstArrival.set(eventId, index);
  });
  const byPayment = new Map<string, number[]>();
  for (const row of recorded) {
    const arrival = firstArrival.get(row.id);
    if (arrival !== undefined) byPayment.set(row.object_id, [...(byPayment.get(row.object_id) ?? []), arrival]);
  }
  return [...byPayment.values()].filter((order) =>
    order.some((arrival, index) => index > 0 && arrival < order[index - 1]!),
  ).length;
}

async function createWebhookEndpoint(apiUrl: string, merchant: FaultMerchant, url: string): Promise<void> {
  const response = await fetch(`${apiUrl}/v1/webhook_endpoints`, {
    method: 'POST',
    headers: { authorization: `Bearer ${merchant.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url, enabled_events: ['*'] }),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 201)
    throw new Error(`webhook endpoint not created: ${response.status} ${await response.text()}`);
}

describe('RabbitMQ failover: two nodes in RABBITMQ_URL, the first cut under load', () => {
  let redis: OwnRedis | undefined;
  let first: TcpProxy | undefined;
  let second: TcpProxy | undefined;
  let consumer: EventsConsumer | undefined;
  let receiver: WebhookReceiver | undefined;
  let stack: FaultStack | undefined;
  let apps: AppProcess[] = [];
  let database: Client | undefined;

  beforeAll(async () => {
    assertBuilt();
    redis = await OwnRedis.start();
    // Two "nodes" of one cluster: two proxies of the test's own in front of the one local broker.
    first = await TcpProxy.start('127.0.0.1', 5672);
    second = await TcpProxy.start('127.0.0.1', 5672);
    stack = new FaultStack('rabbitmq-failover', {
      redisUrl: redis.url,
      rabbitmqUrl: `${first.url()},${second.url()}`,
      // Replicated queues are what a cluster runs; the subscriber's queue must survive the failover too.
      environment: { RABBITMQ_QUEUE_TYPE: 'quorum' },
    });
    consumer = await EventsConsumer.start(stack.eventsExchange);
    receiver = await WebhookReceiver.start();
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
    await receiver?.close().catch(() => undefined);
    await first?.close();
    await second?.close();
    if (stack) {
      // The killed worker's consumer may still be on the queue for a moment: the quorum queue is deleted outright.
      const connection = await connect(rabbitmqServerUrl).catch(() => undefined);
      if (connection) {
        connection.on('error', () => undefined);
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        await channel.deleteQueue(stack.environment.WEBHOOK_EVENTS_QUEUE!).catch(() => undefined);
        await connection.close().catch(() => undefined);
      }
      await stack.cleanup();
    }
    await redis?.stop();
  });

  it('carries on through the second node: no event lost, in order per payment, webhooks delivered; then restores', async () => {
    await runFault(
      {
        name: 'rabbitmq-failover',
        title: 'RabbitMQ node lost',
        load: `${paymentCount} payments, 16 concurrent, then ${paymentsAfterRestore} more; a webhook endpoint for every event`,
        fault: `first of two RabbitMQ nodes (TCP proxies) cut after ${cutAfterAcknowledged} payments, restored once every event was through; quorum queues`,
      },
      async (figures) => {
        const api = apps[0]!;
        const merchant = await createFaultMerchant(api.url);
        await createWebhookEndpoint(api.url, merchant, receiver!.url());
        const queueType = await queueTypeOf(stack!.environment.WEBHOOK_EVENTS_QUEUE!);
        if (queueType !== 'quorum') figures.failures.push(`the webhook queue is ${queueType}, not a quorum queue`);

        const load = new LoadDriver({
          apiUrls: () => [api.url],
          merchant,
          count: paymentCount,
          concurrency: 16,
          deadlineMs: 90_000,
          label: 'rabbitmq-failover',
        });
        const loadDone = load.run();
        // Cut only once the app really works through the first node: payments acknowledged, events on their way
        // through it, and both long-lived connections on it (none on the second).
        const flowing = await pollUntil(
          () =>
            load.acknowledged.size >= cutAfterAcknowledged &&
            consumer!.received.length > 0 &&
            first!.open >= longLivedConnections,
          60_000,
        );
        const beforeCut = { connectionsFirst: first!.open, connectionsSecond: second!.open };
        if (!flowing)
          figures.failures.push(`events never flowed through the first node (${JSON.stringify(beforeCut)})`);
        if (beforeCut.connectionsSecond > 0) figures.failures.push('the app was on the second node before the cut');
        const acknowledgedAtCut = load.acknowledged.size;
        const receivedAtCut = consumer!.received.length;
        await first!.cut();
        const cutAtMs = Date.now();

        // The publisher and the subscriber reconnect to the next node in RABBITMQ_URL.
        const failedOver = await pollUntil(() => second!.open >= longLivedConnections, failoverDeadlineMs);
        const failoverSeconds = failedOver ? (Date.now() - cutAtMs) / 1_000 : null;
        if (!failedOver)
          figures.failures.push(`the app did not reconnect through the second node (${second!.open} open)`);

        await loadDone;
        const ids = [...load.acknowledged.values()];
        const allFinalSeconds = await secondsUntilAllFinal(database!, ids, cutAtMs, 90_000);
        if (allFinalSeconds === null) figures.failures.push('payments stopped being authorized after the cut');

        // Every recorded event reaches the test's subscriber queue and, through the app's quorum queue, the webhook
        // endpoint: the relay publishes (with confirms) through the second node, the worker consumes through it.
        const recorded = await recordedEvents(database!, merchant.id);
        const expected = new Set(recorded.map((row) => row.id));
        const delivered = (): Set<string> =>
          new Set(receiver!.deliveries.map((delivery) => (JSON.parse(delivery.rawBody) as EventObject).id));
        const missing = (received: Set<string>): number => [...expected].filter((id) => !received.has(id)).length;
        const through = await pollUntil(
          () => missing(consumer!.distinctEventIds()) === 0 && missing(delivered()) === 0,
          eventsDeadlineMs,
        );
        const lost = missing(consumer!.distinctEventIds());
        const undelivered = missing(delivered());
        const allEventsSeconds = through ? (Date.now() - cutAtMs) / 1_000 : null;
        const outOfOrder = outOfOrderPayments(
          recorded,
          consumer!.received.map((message) => message.event.id),
        );
        const connectionsAfterFailover = { first: first!.open, second: second!.open };

        // Restored: the first node answers again; the app stays where it is and keeps publishing and consuming.
        await first!.restore();
        const after = new LoadDriver({
          apiUrls: () => [api.url],
          merchant,
          count: paymentsAfterRestore,
          concurrency: 4,
          deadlineMs: 30_000,
          label: 'rabbitmq-failover-restored',
        });
        await after.run();
        const afterIds = [...after.acknowledged.values()];
        await secondsUntilAllFinal(database!, afterIds, Date.now(), 30_000);
        const recordedAfter = await recordedEvents(database!, merchant.id);
        const expectedAfter = recordedAfter.filter((row) => afterIds.includes(row.object_id)).map((row) => row.id);
        await pollUntil(() => {
          const received = consumer!.distinctEventIds();
          return expectedAfter.every((id) => received.has(id)) && expectedAfter.every((id) => delivered().has(id));
        }, 30_000);
        const lostAfterRestore = expectedAfter.filter((id) => !consumer!.distinctEventIds().has(id)).length;

        figures.lost = lost + lostAfterRestore;
        figures.duplicated = 0;
        figures.serverErrors = load.serverErrors + after.serverErrors;
        figures.recoverySeconds = failoverSeconds;
        figures.details = {
          queueType,
          acknowledgedAtCut,
          eventsReceivedAtCut: receivedAtCut,
          connectionsBeforeCut: beforeCut,
          connectionsAfterFailover,
          failoverSeconds,
          allEventsThroughSeconds: allEventsSeconds,
          eventsRecorded: expected.size,
          messagesReceived: consumer!.received.length,
          redeliveries: consumer!.received.length - consumer!.distinctEventIds().size,
          webhooksUndelivered: undelivered,
          outOfOrder,
          afterRestore: { payments: afterIds.length, events: expectedAfter.length, lost: lostAfterRestore },
        };
        if (lost > 0) figures.failures.push(`${lost} events never published`);
        if (undelivered > 0) figures.failures.push(`${undelivered} events never delivered as webhooks`);
        if (outOfOrder > 0) figures.failures.push(`${outOfOrder} payments' events out of order`);
        if (lostAfterRestore > 0) figures.failures.push(`${lostAfterRestore} events lost after the restore`);
        if (afterIds.length < paymentsAfterRestore) figures.failures.push('payments after the restore not accepted');
        if (figures.serverErrors > 0) figures.failures.push(`${figures.serverErrors} 5xx answers`);
        if (load.unanswered.length > 0) figures.failures.push(`${load.unanswered.length} payments never accepted`);
      },
    );
  });
});
