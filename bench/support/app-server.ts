/**
 * The application under benchmark, in a process of its own (spawned by the benchmark with an IPC channel): the
 * load generator then never shares this event loop. Configured from the environment like src/main.ts (APP_ROLE
 * included: the benchmark runs one process of role `all`, or one per role), started the same way (init, event
 * subscribers, listen); it reports its port, answers counter requests, profiles itself on request, and closes the
 * app on `stop`, on SIGINT/SIGTERM, or when the benchmark process goes away. BENCH_SEAM_ROUTES=1 mounts the
 * bench-only seam routes (support/seam-routes.module.ts) beside the app's own.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { createApp } from '../../src/app.factory';
import { HotCache } from '../../src/caching/hot-cache.service';
import { apiKeyCache } from '../../src/merchants/api-key-cache';
import { paymentCache } from '../../src/payments/payment-cache';
import { parseConfig } from '../../src/config/config.schema';
import { startEventSubscribers } from '../../src/events/event-subscribers';
import type { BenchToServer, ServerCounters, ServerToBench } from './server-protocol';

const statementLengthMax = 120;
/** V8's sampling interval while profiling: 1 ms, as `node --cpu-prof` samples. */
const profileSamplingIntervalUs = 1000;

/** Normalized statements by query text: the same texts come again and again, normalizing each costs the app CPU. */
const statements = new Map<string, string>();
/** Texts kept at most (multi-row inserts of varying sizes make new texts; past this they are normalized each time). */
const statementsKeptMax = 2000;

function statementOf(query: unknown): string {
  const text =
    typeof query === 'string'
      ? query
      : typeof query === 'object' && query !== null && typeof (query as { text?: unknown }).text === 'string'
        ? (query as { text: string }).text
        : '(unknown)';
  let statement = statements.get(text);
  if (statement === undefined) {
    statement = text.replace(/\s+/g, ' ').trim().slice(0, statementLengthMax);
    if (statements.size < statementsKeptMax) statements.set(text, statement);
  }
  return statement;
}

/** Counts every query of every pg Client (the app's pool creates pg Clients), from before the app is created. */
function countPostgresQueries(): () => ServerCounters['queries'] {
  const byStatement = new Map<string, number>();
  let total = 0;
  const original = Client.prototype.query as (this: Client, ...args: unknown[]) => unknown;
  Client.prototype.query = function countedQuery(this: Client, ...args: unknown[]): unknown {
    total += 1;
    const statement = statementOf(args[0]);
    byStatement.set(statement, (byStatement.get(statement) ?? 0) + 1);
    return original.apply(this, args);
  } as Client['query'];
  return () => ({ total, byStatement: Object.fromEntries(byStatement) });
}

function send(message: ServerToBench, then?: () => void): void {
  if (!process.send) throw new Error('app-server.ts is started by the benchmark, with an IPC channel');
  process.send(message, undefined, {}, () => then?.());
}

async function main(): Promise<void> {
  const queryCounts = countPostgresQueries();
  const config = parseConfig(process.env);
  // The bench-only routes that cache the same read through interceptors, beside the app's own (seam-routes.module.ts);
  // loaded only then, so that other runs do not carry its packages in their memory.
  const seamRoutes =
    process.env.BENCH_SEAM_ROUTES === '1'
      ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when asked for
        [(require('./seam-routes.module') as typeof import('./seam-routes.module')).SeamRoutesModule]
      : [];
  const app = await createApp(config, { imports: seamRoutes });
  await app.init();
  await startEventSubscribers(app);
  await app.listen(config.port, config.host);
  const { port } = app.getHttpServer().address() as AddressInfo;
  const cache = app.get(HotCache, { strict: false });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('closing the app failed:', error);
        process.exit(1);
      },
    ));

  let profiler: Session | undefined;
  const profile = async (message: Extract<BenchToServer, { type: 'profile-start' | 'profile-stop' }>) => {
    if (message.type === 'profile-start') {
      if (profiler) throw new Error('already profiling');
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: profileSamplingIntervalUs });
      await profiler.post('Profiler.start');
      return;
    }
    if (!profiler) throw new Error('not profiling');
    const { profile: recorded } = await profiler.post('Profiler.stop');
    profiler.disconnect();
    profiler = undefined;
    await writeFile(message.file, JSON.stringify(recorded));
  };

  process.on('message', (message: BenchToServer) => {
    if (message.type === 'stop') {
      void stop();
      return;
    }
    if (message.type === 'profile-start' || message.type === 'profile-stop') {
      profile(message).then(
        () => send({ type: 'profiled', requestId: message.requestId }),
        (error: unknown) =>
          send({
            type: 'profiled',
            requestId: message.requestId,
            error: error instanceof Error ? error.message : String(error),
          }),
      );
      return;
    }
    const counters: ServerCounters = {
      queries: queryCounts(),
      cache: { payment: cache.snapshot(paymentCache), api_key: cache.snapshot(apiKeyCache) },
      cpu: process.cpuUsage(),
    };
    send({ type: 'counters', requestId: message.requestId, counters });
  });
  process.once('disconnect', () => void stop());
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  send({ type: 'ready', port });
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (process.send) send({ type: 'failed', message }, () => process.exit(1));
  else {
    console.error(message);
    process.exit(1);
  }
});
