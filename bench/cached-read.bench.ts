/**
 * Issue 5's benchmark: `GET /v1/payments/:id` served from the cache must reach at least 0.75× the requests per
 * second of the framework's ceiling — `GET /health/live` of the same app (no I/O) — measured in the same run on
 * the same machine with autocannon and 50 connections, and keep its p99 latency under 10 ms.
 *
 *   npm run bench:seams   # BENCH_DURATION_S=10 BENCH_WARMUP_S=3 BENCH_CONNECTIONS=50 BENCH_ROUNDS=5
 *                         # BENCH_SPREAD_PAYMENTS=1000
 *   BENCH_CPU_PROFILE_DIR=/tmp/prof npm run bench:seams   # also writes the app's V8 CPU profile (.cpuprofile) there
 *
 * (`npm run bench`, bench/all.bench.ts, measures the same cached reads once among all of issue 13's scenarios; this
 * one keeps issue 5's rounds and issue 12's seam comparison.)
 *
 * The app runs in a child process (support/app-server.ts) on a throwaway database `payments_bench_<id>`, queue
 * prefix, events exchange and queue, all removed at the end; this process seeds a merchant and succeeded payments
 * over HTTP, then, per round, warms up and measures the ceiling, then the cached read (every connection reads one
 * payment), then the same cached read through a Nest interceptor and through @nestjs/cache-manager's
 * CacheInterceptor (bench-only routes, support/seam-routes.module.ts: issue 12 asks what the decorator saves over
 * an interceptor), then the spread cached read (each request reads one of BENCH_SPREAD_PAYMENTS payments at random).
 * The verdict is the issue's: the cached read of one payment, the median of the rounds' ratios (with the app,
 * autocannon and the services sharing two cores, one round's ratio moves by about ±0.06 from run to run, the median
 * of five by much less). The spread read is reported beside it: there concurrent reads never share a Redis read.
 * The seams are reported beside it too, with the app CPU per request they cost more than the decorator, taken
 * within each round; they do not change the verdict.
 * autocannon runs here and not in the app's process: at these rates it needs about half a core of its own, which
 * in one process would be taken from the app's event loop and charged to the route.
 *
 * Results: bench/results/cached-read.json and .md. A missed target is a result, not an error: the exit code is 1
 * only when the benchmark fails, cannot clean up, or its measurement is invalid (errors, timeouts, non-2xx).
 */
import { mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../src/config/config.schema';
import { loadSettingsFromEnvironment, positiveInteger, scratchRun, sleep, writeAtomically } from './support/bench-run';
import { stopLoad } from './support/load';
import { type LoadSettings, measureRoute, type RouteResult } from './support/measure';
import {
  buildResult,
  formatMarkdown,
  machineDescription,
  type RoundResult,
  roundResult,
  type RouteNames,
  summaryLines,
} from './support/report';
import { RedisCpuProbe } from './support/redis-cpu';
import { runCleanups, scratchRunCleanups } from './support/scratch-resources';
import { seamPaths } from './support/seam-routes.module';
import { ServerProcess } from './support/server-process';

const spreadPayments = positiveInteger('BENCH_SPREAD_PAYMENTS', 1000);
const routes: RouteNames = {
  ceiling: 'GET /health/live',
  cachedRead: 'GET /v1/payments/:id',
  interceptedRead: `GET ${seamPaths.intercepted}:id`,
  stockRead: `GET ${seamPaths.stockCacheInterceptor}:id`,
  spreadRead: `GET /v1/payments/:id (${spreadPayments} payments)`,
};
/** Payments created at once while seeding: the app processes them in the background. */
const seedingConcurrency = 25;
const resultsDirectory = path.join(__dirname, 'results');
const settlementDeadlineMs = 30_000;
const settlementPollMs = 50;

process.setSourceMapsEnabled(true);

let interrupted = false;

function checkInterrupted(): void {
  if (interrupted) throw new Error('interrupted');
}

async function requestJson<T>(
  url: string,
  init: { method: 'GET' | 'POST'; headers?: Record<string, string>; body?: unknown },
  expectedStatus: number,
): Promise<T> {
  const response = await fetch(url, {
    method: init.method,
    headers: { ...init.headers, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  if (response.status !== expectedStatus) {
    throw new Error(`${init.method} ${url}: expected ${expectedStatus}, got ${response.status} ${text}`);
  }
  return JSON.parse(text) as T;
}

/** POST /v1/payments of a Visa test card that succeeds, captured automatically (test/support/api.ts paymentBody()). */
async function createPayment(baseUrl: string, authorization: string): Promise<string> {
  const card = { number: '4242424242424242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, cvc: '123' };
  const payment = await requestJson<{ id: string }>(
    `${baseUrl}/v1/payments`,
    {
      method: 'POST',
      headers: { authorization, 'idempotency-key': `bench-${randomBytes(8).toString('hex')}` },
      body: { amount: 1099, currency: 'usd', payment_method: { type: 'card', card } },
    },
    202,
  );
  return `/v1/payments/${payment.id}`;
}

/** Reads the payment at `paymentPath` until it has succeeded (then its response is cached). */
async function settled(baseUrl: string, authorization: string, paymentPath: string, deadline: number): Promise<void> {
  for (;;) {
    checkInterrupted();
    const payment = await requestJson<{ id: string; status: string }>(
      `${baseUrl}${paymentPath}`,
      { method: 'GET', headers: { authorization } },
      200,
    );
    if (`/v1/payments/${payment.id}` !== paymentPath) throw new Error(`GET ${paymentPath} answered ${payment.id}`);
    if (payment.status === 'succeeded') return;
    if (payment.status !== 'processing') throw new Error(`${paymentPath} ended ${payment.status}, not succeeded`);
    if (Date.now() > deadline) throw new Error(`${paymentPath} still processing after ${settlementDeadlineMs} ms`);
    await sleep(settlementPollMs);
  }
}

/** A merchant with one payment for the cached read and `spreadCount` more for the spread one, all succeeded. */
async function seedPayments(
  baseUrl: string,
  adminToken: string,
  spreadCount: number,
): Promise<{ path: string; spreadPaths: string[]; authorization: string }> {
  const merchant = await requestJson<{ api_key: string }>(
    `${baseUrl}/v1/admin/merchants`,
    { method: 'POST', headers: { 'x-admin-token': adminToken }, body: { name: 'Bench merchant' } },
    201,
  );
  const authorization = `Bearer ${merchant.api_key}`;
  const paths: string[] = [];
  for (let created = 0; created < spreadCount + 1; created += seedingConcurrency) {
    const batch = Math.min(seedingConcurrency, spreadCount + 1 - created);
    const deadline = Date.now() + settlementDeadlineMs;
    const batchPaths = await Promise.all(Array.from({ length: batch }, () => createPayment(baseUrl, authorization)));
    await Promise.all(batchPaths.map((paymentPath) => settled(baseUrl, authorization, paymentPath, deadline)));
    paths.push(...batchPaths);
  }
  const [path, ...spreadPaths] = paths;
  return { path: path!, spreadPaths, authorization };
}

/**
 * The seam routes must answer what the real route answers (same body, same content type), or their figures
 * compare different work; checked once before measuring, which also fills the stock route's own cache.
 */
async function checkSeamRoutes(baseUrl: string, paymentPath: string, authorization: string): Promise<void> {
  const id = paymentPath.slice(paymentPath.lastIndexOf('/') + 1);
  const answerOf = async (routePath: string) => {
    const response = await fetch(`${baseUrl}${routePath}`, { headers: { authorization } });
    return { status: response.status, type: response.headers.get('content-type'), body: await response.text() };
  };
  const expected = await answerOf(paymentPath);
  for (const seamPath of [seamPaths.intercepted, seamPaths.stockCacheInterceptor]) {
    // The stock route answers its first request from the handler, the next from its cache: both must match.
    for (const attempt of ['first', 'second']) {
      const actual = await answerOf(`${seamPath}${id}`);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        throw new Error(
          `GET ${seamPath}${id} (${attempt} request) answered ${JSON.stringify(actual)}, ` +
            `GET ${paymentPath} ${JSON.stringify(expected)}`,
        );
      }
    }
  }
}

async function measureRounds(
  server: ServerProcess,
  redis: RedisCpuProbe,
  settings: LoadSettings,
  rounds: number,
  adminToken: string,
): Promise<RoundResult[]> {
  console.log(`seeding ${spreadPayments + 1} payments…`);
  const baseUrl = `http://127.0.0.1:${server.port}`;
  const payment = await seedPayments(baseUrl, adminToken, spreadPayments);
  await checkSeamRoutes(baseUrl, payment.path, payment.authorization);
  const paymentId = payment.path.slice(payment.path.lastIndexOf('/') + 1);
  const results: RoundResult[] = [];
  const took = (run: RouteResult) => `${Math.round(run.requests.perSecond.average)} req/s, p99 ${run.latencyMs.p99} ms`;
  for (let round = 1; round <= rounds; round += 1) {
    const label = rounds > 1 ? `round ${round}/${rounds}: ` : '';
    const each = `${settings.warmupS} s warm-up + ${settings.durationS} s`;
    console.log(`${label}${routes.ceiling} (${each})…`);
    const ceiling = await measureRoute(server, redis, settings, { path: '/health/live' });
    checkInterrupted();
    console.log(`  ${took(ceiling)}`);
    console.log(`${label}${routes.cachedRead} (${each})…`);
    const cachedRead = await measureRoute(server, redis, settings, {
      path: payment.path,
      headers: { authorization: payment.authorization },
    });
    checkInterrupted();
    console.log(`  ${took(cachedRead)}`);
    console.log(`${label}${routes.interceptedRead} (${each})…`);
    const interceptedRead = await measureRoute(server, redis, settings, {
      path: `${seamPaths.intercepted}${paymentId}`,
      headers: { authorization: payment.authorization },
    });
    checkInterrupted();
    console.log(`  ${took(interceptedRead)}`);
    console.log(`${label}${routes.stockRead} (${each})…`);
    const stockRead = await measureRoute(server, redis, settings, {
      path: `${seamPaths.stockCacheInterceptor}${paymentId}`,
      headers: { authorization: payment.authorization },
    });
    checkInterrupted();
    console.log(`  ${took(stockRead)}`);
    console.log(`${label}${routes.spreadRead} (${each})…`);
    const spreadRead = await measureRoute(server, redis, settings, {
      path: payment.path,
      headers: { authorization: payment.authorization },
      paths: payment.spreadPaths,
    });
    checkInterrupted();
    console.log(`  ${took(spreadRead)}`);
    results.push(roundResult({ ceiling, cachedRead, interceptedRead, stockRead, spreadRead }));
  }
  return results;
}

async function main(): Promise<number> {
  const settings = loadSettingsFromEnvironment();
  const rounds = positiveInteger('BENCH_ROUNDS', 5);
  const loadAverageAtStart = os.loadavg()[0] ?? 0;
  const { databaseName, queuePrefix, adminToken, environment } = scratchRun();
  environment.BENCH_SEAM_ROUTES = '1';
  // The configuration the app will parse: where its database, exchange, queue and keys are, to remove them after.
  const config = parseConfig(environment);
  process.once('SIGINT', () => {
    interrupted = true;
    stopLoad();
  });

  let measured: RoundResult[];
  let server: ServerProcess | undefined;
  let redis: RedisCpuProbe | undefined;
  const cleanupFailures: string[] = [];
  try {
    server = await ServerProcess.start(environment);
    console.log(`app listening on 127.0.0.1:${server.port}, database ${databaseName}`);
    redis = await RedisCpuProbe.connect(config.redis.cacheUrl);
    measured = await measureRounds(server, redis, settings, rounds, adminToken);
  } finally {
    await redis?.close().catch(() => undefined);
    await server?.stop();
    cleanupFailures.push(...(await runCleanups(scratchRunCleanups(config, queuePrefix))));
  }

  const machine = machineDescription({ atStart: loadAverageAtStart, atEnd: os.loadavg()[0] ?? 0 });
  const result = buildResult(measured, settings, machine, routes);
  await mkdir(resultsDirectory, { recursive: true });
  await writeAtomically(path.join(resultsDirectory, 'cached-read.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeAtomically(path.join(resultsDirectory, 'cached-read.md'), formatMarkdown(result));
  for (const line of summaryLines(result)) console.log(line);
  console.log(`written to ${path.relative(process.cwd(), resultsDirectory)}/cached-read.{json,md}`);
  return result.verdict.valid && cleanupFailures.length === 0 ? 0 : 1;
}

main().then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    if (interrupted) console.error('interrupted before the end: no result written');
    else console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
