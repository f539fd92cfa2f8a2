import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { paymentBody } from './support/api';
import { fastProcessing } from './support/fast-processing';
import { type CollectedSpan, OtlpCollector, spanKind, treeDefects } from './support/otlp-collector';
import { freePort } from './support/own-redis';
import { testAdminToken } from './support/test-app';
import { dropDatabase, postgresServerUrl, uniqueDatabaseName } from './support/test-database';
import { newTestNamespace } from './support/test-names';
import { WebhookReceiver } from './support/webhooks-receiver';

// The built service as a child process, as `npm start` runs it (npm test builds first): the instrumentations patch
// pg, ioredis, amqplib, http and fastify when they are required, and Jest's module registry loads the app's modules
// past Node's require, so in Jest's process they would patch nothing. The spans come back through the real OTLP/HTTP
// exporter (http/json) to a receiver in this test.
const mainPath = path.resolve(__dirname, '..', 'dist', 'main.js');
const startDeadlineMs = 45_000;
const traceDeadlineMs = 30_000;
// Creates that arrive together are written together: more than the group commit's batches in flight (3).
const concurrentPayments = 10;

/** Polls until `read` gives a value, or throws what `describe` says of the last try at the deadline. */
async function until<T>(
  read: () => Promise<T | undefined> | T | undefined,
  deadlineMs: number,
  describe: () => string,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${deadlineMs} ms: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A pg span's statement text (the attribute's name depends on the semantic conventions in use). */
function statementOf(span: CollectedSpan): string {
  const statement = span.attributes['db.statement'] ?? span.attributes['db.query.text'];
  return typeof statement === 'string' ? statement : '';
}

type Step = (span: CollectedSpan, trace: readonly CollectedSpan[], receiverPort: number) => boolean;

const parentOf = (span: CollectedSpan, trace: readonly CollectedSpan[]) =>
  trace.find((candidate) => candidate.spanId === span.parentSpanId);

/** Each step of the write path, as a span of the trace shows it. */
const steps: Record<string, Step> = {
  'HTTP POST /v1/payments': (span) =>
    span.kind === spanKind.server && span.attributes['http.route'] === '/v1/payments' && /POST/.test(span.name),
  'outbox insert': (span) => /INSERT INTO outbox/.test(statementOf(span)),
  'relay: authorization job add': (span) =>
    span.name === 'outbox.relay payment.authorize' && span.kind === spanKind.producer,
  'worker: authorization job': (span) => span.name === 'payments authorize-payment',
  'ledger postings in the settlement batch': (span, trace) =>
    /INSERT INTO ledger_postings/.test(statementOf(span)) && parentOf(span, trace)?.name === 'payments.settle',
  'ledger commit': (span, trace) =>
    statementOf(span).trim().toLowerCase() === 'commit' && parentOf(span, trace)?.name === 'payments.settle',
  'relay: event publish': (span) => span.name === 'outbox.relay event.publish' && span.kind === spanKind.producer,
  'RabbitMQ publish': (span) => span.kind === spanKind.producer && span.name.startsWith('publish '),
  'RabbitMQ consume (webhook fan-out)': (span) => span.kind === spanKind.consumer && span.name.endsWith(' process'),
  'webhook delivery job': (span) => span.name === 'webhooks deliver-webhook',
  'webhook POST': (span, _trace, receiverPort) =>
    span.kind === spanKind.client &&
    (span.attributes['http.request.method'] ?? span.attributes['http.method']) === 'POST' &&
    Number(span.attributes['server.port'] ?? span.attributes['net.peer.port']) === receiverPort,
};

/** The steps no span of `trace` shows. */
function missingSteps(trace: readonly CollectedSpan[], receiverPort: number): string[] {
  return Object.entries(steps)
    .filter(([, matches]) => !trace.some((span) => matches(span, trace, receiverPort)))
    .map(([step]) => step);
}

/**
 * The relay's spans of event rows that have no RabbitMQ publish span under them: each of the payment's events (its
 * `payment.processing` too, the first publish of the process) is published in the trace.
 */
function unpublishedEvents(spans: readonly CollectedSpan[]): CollectedSpan[] {
  return spans.filter(
    (relayed) =>
      relayed.name === 'outbox.relay event.publish' &&
      !spans.some((span) => span.parentSpanId === relayed.spanId && steps['RabbitMQ publish']!(span, spans, 0)),
  );
}

describe('tracing on (OTEL_TRACES_EXPORTER=otlp, http/json)', () => {
  let collector: OtlpCollector;
  let receiver: WebhookReceiver;
  let child: ChildProcess | undefined;
  let output = '';
  let baseUrl = '';
  const databaseName = uniqueDatabaseName();
  const names = newTestNamespace();
  const queuePrefix = names.queuePrefix;

  beforeAll(async () => {
    if (!existsSync(mainPath)) throw new Error(`${mainPath} is missing: run npm run build (npm test does)`);
    collector = await OtlpCollector.start();
    receiver = await WebhookReceiver.start();
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [mainPath], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'test',
        PORT: String(port),
        HOST: '127.0.0.1',
        ADMIN_TOKEN: testAdminToken,
        DATABASE_URL: `${postgresServerUrl}/${databaseName}`,
        ...names.environment,
        RATE_LIMIT_PER_SECOND: '0',
        ...fastProcessing,
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        // Metrics would be exported every 200 ms if the SDK's were on: tracing sends traces only.
        OTEL_METRIC_EXPORT_INTERVAL: '200',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await until(
      async () => {
        if (child?.exitCode !== null) throw new Error(`the app exited (${child?.exitCode}): ${output}`);
        const response = await fetch(`${baseUrl}/health/ready`).catch(() => undefined);
        return response?.status === 200 ? true : undefined;
      },
      startDeadlineMs,
      () => `the app is not ready: ${output}`,
    );
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    await Promise.all([collector?.close(), receiver?.close()]);
    await names.remove();
    await dropDatabase(databaseName);
  });

  async function call(method: string, url: string, headers: Record<string, string>, body?: unknown) {
    const response = await fetch(`${baseUrl}${url}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('runs one connected trace from POST /v1/payments through the relay, the worker, the ledger, RabbitMQ and the webhook', async () => {
    const merchant = await call('POST', '/v1/admin/merchants', { 'x-admin-token': testAdminToken }, { name: 'Traced' });
    expect(merchant.status).toBe(201);
    const auth = { authorization: `Bearer ${String(merchant.body.api_key)}` };
    const endpoint = await call('POST', '/v1/webhook_endpoints', auth, {
      url: receiver.url(),
      enabled_events: ['payment.succeeded'],
    });
    expect(endpoint.status).toBe(201);

    const created = await call(
      'POST',
      '/v1/payments',
      { ...auth, 'idempotency-key': `traced-${queuePrefix}` },
      paymentBody(),
    );
    expect(created.status).toBe(202);
    const paymentId = String(created.body.id);

    // The webhook of the payment's success is the last hop; its request carries the trace it belongs to.
    const delivery = await until(
      () => receiver.deliveries.find((received) => received.rawBody.includes(paymentId)),
      traceDeadlineMs,
      () => `no webhook for ${paymentId}; app output: ${output.slice(-3_000)}`,
    );
    const traceId = /^00-([0-9a-f]{32})-/.exec(String(delivery.headers.traceparent))?.[1];
    expect(traceId).toBeDefined();

    // Spans are exported in batches, and a parent ends after its children: polled until the whole tree is in.
    const trace = await until(
      () => {
        const spans = collector.trace(traceId!);
        const missing = missingSteps(spans, receiver.port);
        return missing.length === 0 && treeDefects(spans).length === 0 && unpublishedEvents(spans).length === 0
          ? spans
          : undefined;
      },
      traceDeadlineMs,
      () => {
        const spans = collector.trace(traceId!);
        const missing = missingSteps(spans, receiver.port);
        return `trace ${traceId}: missing ${missing.join(', ') || 'nothing'}; defects: ${treeDefects(spans).join('; ')}; relayed events without a publish in the trace: ${unpublishedEvents(spans).length}; spans: ${spans
          .map((span) => `${span.name} [${span.kind}] ${span.spanId}<-${span.parentSpanId}`)
          .join(' | ')}`;
      },
    );

    const root = trace.find((span) => span.parentSpanId === '')!;
    expect(steps['HTTP POST /v1/payments']!(root, trace, receiver.port)).toBe(true);
    expect(missingSteps(trace, receiver.port)).toEqual([]);
    expect(treeDefects(trace)).toEqual([]);
    expect(trace.filter((span) => span.name === 'outbox.relay event.publish')).toHaveLength(2);
    expect(unpublishedEvents(trace)).toEqual([]);
    // The payment's card never reaches a span.
    const attributeText = JSON.stringify(trace.map((span) => span.attributes));
    expect(attributeText).not.toContain(paymentBody().payment_method.card.number);
    // Seconds of exports later: nothing but traces was sent.
    expect(collector.otherRequests).toEqual([]);
  });

  it('keeps each payment in its own trace when their creates and settlements share batches', async () => {
    const merchant = await call(
      'POST',
      '/v1/admin/merchants',
      { 'x-admin-token': testAdminToken },
      { name: 'Batched' },
    );
    const auth = { authorization: `Bearer ${String(merchant.body.api_key)}` };
    await call('POST', '/v1/webhook_endpoints', auth, {
      url: receiver.url('/batched'),
      enabled_events: ['payment.succeeded'],
    });
    // Each client sends a trace of its own (its traceparent header), which its payment's webhook must come back with.
    const clients = Array.from({ length: concurrentPayments }, (_, index) => ({
      traceId: randomBytes(16).toString('hex'),
      spanId: randomBytes(8).toString('hex'),
      key: `batched-${queuePrefix}-${index}`,
    }));
    const created = await Promise.all(
      clients.map((client) =>
        call(
          'POST',
          '/v1/payments',
          { ...auth, 'idempotency-key': client.key, traceparent: `00-${client.traceId}-${client.spanId}-01` },
          paymentBody(),
        ),
      ),
    );
    expect(created.map((response) => response.status)).toEqual(clients.map(() => 202));

    for (const [index, client] of clients.entries()) {
      const paymentId = String(created[index]!.body.id);
      const delivery = await until(
        () =>
          receiver.deliveries.find((received) => received.path === '/batched' && received.rawBody.includes(paymentId)),
        traceDeadlineMs,
        () => `no webhook for ${paymentId}`,
      );
      const deliveredTraceId = String(delivery.headers.traceparent).split('-')[1];
      const whose = clients.findIndex((other) => other.traceId === deliveredTraceId);
      expect({ payment: index, deliveredInTraceOf: whose === -1 ? deliveredTraceId : whose }).toEqual({
        payment: index,
        deliveredInTraceOf: index,
      });
      await until(
        () => (treeDefects(collector.trace(client.traceId), client.spanId).length === 0 ? true : undefined),
        traceDeadlineMs,
        () => `trace of ${paymentId}: ${treeDefects(collector.trace(client.traceId), client.spanId).join('; ')}`,
      );
    }
    // What this test is about: creates that were written together, by one transaction in one of the traces.
    const createBatches = collector.spans.filter(
      (span) => span.name === 'payments.create' && clients.some((client) => client.traceId === span.traceId),
    );
    expect(Math.max(...createBatches.map((span) => Number(span.attributes['batch.size'])))).toBeGreaterThan(1);
  });
});
