/**
 * Issue 13, first step: where the time of a payment goes before changing anything. Scenarios, in one run:
 *
 * - ceiling-http: `GET /health/live` of the app (no I/O), autocannon, 50 connections.
 * - ceiling-db: pgbench writing the rows of one payment per transaction (support/pgbench.ts), 50 clients, on a
 *   database of its own migrated like the app's.
 * - create: `POST /v1/payments` (4242 card, a fresh Idempotency-Key per request), autocannon closed loop,
 *   50 connections; after the warm-up the backlog drains before the measured run starts.
 * - settlement drain: from the first create of the measured run until every payment created is final and every
 *   outbox row sent, the CPU time of every process of every service (/proc: app, load generator, PostgreSQL,
 *   Redis, RabbitMQ; support/process-cpu.ts), divided by the payments created.
 *
 *   node --import ./bench/support/swc-register.mts bench/write-path.bench.ts
 *   # BENCH_DURATION_S=10 BENCH_WARMUP_S=3 BENCH_CONNECTIONS=50; BENCH_CPU_PROFILE_DIR=/tmp/prof for a V8 profile
 *
 * Results: bench/results/write-path.json and .md. Exit code 1 only when the run fails, cannot clean up, or a
 * measurement is invalid (errors, timeouts, non-2xx, a payment not settled, pgbench failures).
 */
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { parseConfig } from '../src/config/config.schema';
import { migrateDatabase } from '../src/database/migrate';
import {
  loadSettingsFromEnvironment,
  postgresServerUrl,
  scratchRun,
  sleep,
  writeAtomically,
} from './support/bench-run';
import { stopLoad } from './support/load';
import { type LoadSettings, measureRoute, type RouteResult } from './support/measure';
import { type PgbenchSummary, preparePgbenchDatabase, runPgbench } from './support/pgbench';
import { percentByService, ProcessCpuProbe, type ServiceCpu, serviceNames } from './support/process-cpu';
import { machineDescription } from './support/report';
import { RedisCpuProbe } from './support/redis-cpu';
import { deleteEventsTopology, deleteRedisKeys, dropDatabase } from './support/scratch-resources';
import { ServerProcess } from './support/server-process';

const resultsDirectory = path.join(__dirname, 'results');
const drainDeadlineMs = 180_000;
const drainPollMs = 100;

process.setSourceMapsEnabled(true);

let interrupted = false;
const round1 = (value: number) => Math.round(value * 10) / 10;

interface DrainState {
  processing: number;
  unsentOutbox: number;
  payments: number;
}

/** What the drain poller reads: payments still processing, outbox rows unsent, payments in all. */
async function drainState(client: Client): Promise<DrainState> {
  const { rows } = await client.query<{ processing: string; unsent: string; payments: string }>(`
    SELECT (SELECT count(*) FROM payments WHERE status = 'processing') AS processing,
           (SELECT count(*) FROM outbox WHERE sent_at IS NULL) AS unsent,
           (SELECT count(*) FROM payments) AS payments`);
  const row = rows[0]!;
  return { processing: Number(row.processing), unsentOutbox: Number(row.unsent), payments: Number(row.payments) };
}

interface Drain {
  /** From the end of the load to the last payment final, s. */
  settledAfterLoadS: number | null;
  /** From the end of the load to the last outbox row sent, s. */
  drainedAfterLoadS: number | null;
  processingAtLoadEnd: number;
  unsentOutboxAtLoadEnd: number;
  /** Outbox rows unsent when the last payment settled. */
  unsentOutboxWhenSettled: number | null;
  polls: number;
}

/** Polls until no payment is processing and no outbox row unsent (or the deadline). */
async function waitForDrain(client: Client, loadEndedAt: number): Promise<Drain> {
  let state = await drainState(client);
  const drain: Drain = {
    settledAfterLoadS: null,
    drainedAfterLoadS: null,
    processingAtLoadEnd: state.processing,
    unsentOutboxAtLoadEnd: state.unsentOutbox,
    unsentOutboxWhenSettled: null,
    polls: 1,
  };
  const deadline = Date.now() + drainDeadlineMs;
  for (;;) {
    const elapsedS = (performance.now() - loadEndedAt) / 1000;
    if (state.processing === 0 && drain.settledAfterLoadS === null) {
      drain.settledAfterLoadS = elapsedS;
      drain.unsentOutboxWhenSettled = state.unsentOutbox;
    }
    if (state.processing === 0 && state.unsentOutbox === 0) {
      drain.drainedAfterLoadS = elapsedS;
      return drain;
    }
    if (interrupted || Date.now() > deadline) return drain;
    await sleep(drainPollMs);
    state = await drainState(client);
    drain.polls += 1;
  }
}

interface CreateScenario {
  run: RouteResult;
  paymentsCreated: number;
  paymentsByStatus: Record<string, number>;
  drain: Drain;
  endToEnd: {
    cpu: ServiceCpu;
    /** CPU-µs per payment per service, and in all. */
    microsecondsPerPayment: Record<string, number>;
    percentOfOneCore: Record<string, number>;
    elapsedS: number;
  };
  /** Payments final per second: after the load (backlog / time to settle it), and over the whole burst. */
  settlement: { afterLoadPerSecond: number | null; wholeBurstPerSecond: number | null };
  /** Queries the app sent from the burst's start to the drain, per payment, by statement. */
  queriesPerPayment: { total: number; byStatement: { statement: string; perPayment: number }[] };
}

async function measureCreate(
  server: ServerProcess,
  redis: RedisCpuProbe,
  processes: ProcessCpuProbe,
  settings: LoadSettings,
  databaseUrl: string,
  authorization: string,
): Promise<CreateScenario> {
  const card = { number: '4242424242424242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, cvc: '123' };
  const poller = new Client({ connectionString: databaseUrl });
  await poller.connect();
  try {
    let burstStart: Awaited<ReturnType<ProcessCpuProbe['snapshot']>> | undefined;
    let countersAtStart: Awaited<ReturnType<ServerProcess['counters']>> | undefined;
    let paymentsBefore = 0;
    const run = await measureRoute(
      server,
      redis,
      settings,
      {
        path: '/v1/payments',
        method: 'POST',
        headers: { authorization },
        body: { amount: 1099, currency: 'usd', payment_method: { type: 'card', card } },
        perRequestHeaders: () => ({ 'idempotency-key': `bench-${randomBytes(12).toString('hex')}` }),
      },
      {
        processes,
        beforeMeasured: async () => {
          const drained = await waitForDrain(poller, performance.now());
          if (drained.drainedAfterLoadS === null) throw new Error('the warm-up backlog did not drain');
          paymentsBefore = (await drainState(poller)).payments;
          countersAtStart = await server.counters();
          burstStart = await processes.snapshot();
        },
      },
    );
    const loadEndedAt = performance.now();
    const drain = await waitForDrain(poller, loadEndedAt);
    const burstEnd = await processes.snapshot();
    const countersAtEnd = await server.counters();
    const { rows } = await poller.query<{ status: string; count: string }>(
      'SELECT status, count(*) AS count FROM payments GROUP BY status',
    );
    const paymentsByStatus = Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
    const paymentsCreated = Object.values(paymentsByStatus).reduce((sum, n) => sum + n, 0) - paymentsBefore;
    const cpu = ProcessCpuProbe.between(burstStart!, burstEnd);
    const total = serviceNames.reduce((sum, name) => sum + cpu.microseconds[name], 0);
    const perPayment = (us: number) => (paymentsCreated > 0 ? round1(us / paymentsCreated) : 0);
    const microsecondsPerPayment = {
      ...Object.fromEntries(serviceNames.map((name) => [name, perPayment(cpu.microseconds[name])])),
      total: perPayment(total),
    };
    const statements = Object.entries(countersAtEnd.queries.byStatement)
      .map(([statement, count]) => ({
        statement,
        perPayment: round1((count - (countersAtStart!.queries.byStatement[statement] ?? 0)) / paymentsCreated),
      }))
      .filter(({ perPayment: n }) => n > 0)
      .sort((a, b) => b.perPayment - a.perPayment)
      .slice(0, 20);
    const burstS = cpu.elapsedS;
    return {
      run,
      paymentsCreated,
      paymentsByStatus,
      drain,
      endToEnd: { cpu, microsecondsPerPayment, percentOfOneCore: percentByService(cpu), elapsedS: round1(burstS) },
      settlement: {
        afterLoadPerSecond:
          drain.settledAfterLoadS && drain.settledAfterLoadS > 0
            ? Math.round(drain.processingAtLoadEnd / drain.settledAfterLoadS)
            : null,
        wholeBurstPerSecond:
          drain.settledAfterLoadS !== null
            ? Math.round(paymentsCreated / (run.durationS + drain.settledAfterLoadS))
            : null,
      },
      queriesPerPayment: {
        total: round1((countersAtEnd.queries.total - countersAtStart!.queries.total) / paymentsCreated),
        byStatement: statements,
      },
    };
  } finally {
    await poller.end();
  }
}

interface DbCeiling {
  pgbench: PgbenchSummary;
  cpu: ServiceCpu;
  percentOfOneCore: Record<string, number>;
  microsecondsPerPayment: Record<string, number>;
}

async function measureDbCeiling(
  processes: ProcessCpuProbe,
  settings: LoadSettings,
  databaseUrl: string,
  notify: boolean,
): Promise<DbCeiling> {
  await runPgbench(databaseUrl, settings.connections, settings.warmupS, { notify });
  const before = await processes.snapshot();
  processes.startTracking();
  const pgbench = await runPgbench(databaseUrl, settings.connections, settings.durationS, { notify }).finally(() =>
    processes.stopTracking(),
  );
  const after = await processes.snapshot();
  const cpu = ProcessCpuProbe.between(before, after);
  const perPayment = (us: number) => (pgbench.transactions > 0 ? round1(us / pgbench.transactions) : 0);
  return {
    pgbench,
    cpu,
    percentOfOneCore: percentByService(cpu),
    microsecondsPerPayment: {
      ...Object.fromEntries(serviceNames.map((name) => [name, perPayment(cpu.microseconds[name])])),
      total: perPayment(serviceNames.reduce((sum, name) => sum + cpu.microseconds[name], 0)),
    },
  };
}

function sourceTreeState(): { commit: string; uncommitted: string[] } {
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: path.join(__dirname, '..'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  try {
    return {
      commit: git('rev-parse', '--short', 'HEAD').trim(),
      uncommitted: git('status', '--short', '--', 'src').split('\n').filter(Boolean),
    };
  } catch {
    return { commit: 'unknown', uncommitted: [] };
  }
}

type Scenarios = {
  ceilingHttp: RouteResult;
  ceilingDb: DbCeiling;
  /** The same pgbench script without its two pg_notify calls. */
  ceilingDbNoNotify: DbCeiling;
  create: CreateScenario;
};

function problemsOf({ ceilingHttp, ceilingDb, ceilingDbNoNotify, create }: Scenarios): string[] {
  const problems: string[] = [];
  for (const run of [ceilingHttp, create.run]) {
    if (run.errors > 0 || run.timeouts > 0 || run.non2xx > 0) {
      problems.push(`${run.route}: ${run.errors} errors, ${run.timeouts} timeouts, ${run.non2xx} non-2xx`);
    }
  }
  for (const db of [ceilingDb, ceilingDbNoNotify]) {
    if (db.pgbench.failed > 0) problems.push(`pgbench: ${db.pgbench.failed} failed transactions`);
  }
  if (create.drain.drainedAfterLoadS === null) {
    problems.push(`not drained within ${drainDeadlineMs / 1000} s after the load: ${JSON.stringify(create.drain)}`);
  }
  const notSucceeded = Object.entries(create.paymentsByStatus).filter(([status]) => status !== 'succeeded');
  if (notSucceeded.length > 0) problems.push(`payments not succeeded: ${JSON.stringify(create.paymentsByStatus)}`);
  // Requests in flight when autocannon stops create payments it does not count: at most one per connection.
  if (Math.abs(create.paymentsCreated - create.run.requests.total) > create.run.requests.total * 0.01 + 50) {
    problems.push(`${create.paymentsCreated} payments in the database, ${create.run.requests.total} answered 202`);
  }
  return problems;
}

function formatMarkdown(result: {
  date: string;
  valid: boolean;
  problems: string[];
  notes: string[];
  scenarios: Scenarios;
  settings: LoadSettings;
  environment: ReturnType<typeof machineDescription>;
  sourceTree: ReturnType<typeof sourceTreeState>;
}): string {
  const { ceilingHttp, ceilingDb, ceilingDbNoNotify, create } = result.scenarios;
  const dbRow = (name: string, what: string, db: DbCeiling) =>
    `| ${name} | ${what} | ${db.pgbench.transactionsPerSecond} | ${db.pgbench.latencyMs.p50} | ` +
    `${db.pgbench.latencyMs.p90} | ${db.pgbench.latencyMs.p99} | ${db.pgbench.latencyMs.max} | ${db.pgbench.failed} |`;
  const services = ['app', 'postgres', 'redis', 'rabbitmq', 'loadGenerator', 'total'] as const;
  const cpuRow = (name: string, percents: Record<string, number>) =>
    `| ${name} | ${services.map((s) => percents[s] ?? '').join(' | ')} |`;
  const pg = (cpu: ServiceCpu) =>
    `bench backends ${round1(cpu.postgresDetail.benchBackends / 1000)} ms, server processes ` +
    `${round1(cpu.postgresDetail.serverProcesses / 1000)} ms; left out: other databases ` +
    `${round1(cpu.postgresDetail.otherDatabases / 1000)} ms, exited children ` +
    `${round1(cpu.postgresDetail.exitedChildren / 1000)} ms`;
  const pct = (run: RouteResult) => run.processCpu?.percentOfOneCore ?? {};
  const env = result.environment;
  return [
    '# Write path benchmark (issue 13, step 1: where the time goes)',
    '',
    `Measured ${result.date} by \`node --import ./bench/support/swc-register.mts bench/write-path.bench.ts\`, ` +
      `source at ${result.sourceTree.commit}` +
      (result.sourceTree.uncommitted.length > 0
        ? ` plus uncommitted changes in src/ (${result.sourceTree.uncommitted.join('; ')})`
        : '') +
      '.',
    '',
    `**${result.valid ? 'VALID' : 'INVALID MEASUREMENT'}**${result.problems.map((p) => `\n- problem: ${p}`).join('')}`,
    '',
    '| scenario | what | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx / failed |',
    '|---|---|---|---|---|---|---|---|',
    `| ceiling-http | \`GET /health/live\`, autocannon | ${Math.round(ceilingHttp.requests.perSecond.average)} | ` +
      `${ceilingHttp.latencyMs.p50} | ${ceilingHttp.latencyMs.p90} | ${ceilingHttp.latencyMs.p99} | ` +
      `${ceilingHttp.latencyMs.max} | ${ceilingHttp.non2xx} |`,
    dbRow('ceiling-db', "pgbench, one payment's statements per transaction", ceilingDb),
    dbRow('ceiling-db, no NOTIFY', 'the same without the 2 `pg_notify`', ceilingDbNoNotify),
    `| create | \`POST /v1/payments\`, autocannon closed loop | ${Math.round(create.run.requests.perSecond.average)} | ` +
      `${create.run.latencyMs.p50} | ${create.run.latencyMs.p90} | ${create.run.latencyMs.p99} | ` +
      `${create.run.latencyMs.max} | ${create.run.non2xx} |`,
    '',
    `${result.settings.connections} connections / clients; ${result.settings.warmupS} s warm-up then ` +
      `${result.settings.durationS} s measured per scenario. Latencies: autocannon 1 ms resolution (2xx only); ` +
      'pgbench from its per-transaction log.',
    '',
    '## CPU by process during each measured run (% of one core, /proc utime+stime)',
    '',
    `| scenario | ${services.join(' | ')} |`,
    `|---|${services.map(() => '---').join('|')}|`,
    cpuRow('ceiling-http', pct(ceilingHttp)),
    cpuRow('ceiling-db (loadGenerator = pgbench)', ceilingDb.percentOfOneCore),
    cpuRow('ceiling-db, no NOTIFY', ceilingDbNoNotify.percentOfOneCore),
    cpuRow('create (load only)', pct(create.run)),
    cpuRow(`create burst → drained (${create.endToEnd.elapsedS} s)`, create.endToEnd.percentOfOneCore),
    '',
    `PostgreSQL, ceiling-db: ${pg(ceilingDb.cpu)}. Create burst: ${pg(create.endToEnd.cpu)}; ` +
      `${create.endToEnd.cpu.postgresDetail.benchBackendsExited} bench backend(s) exited during it.`,
    '',
    '## CPU-µs per payment, end to end',
    '',
    `From the first create of the measured run until every payment was final and every outbox row sent: ` +
      `${create.paymentsCreated} payments (${JSON.stringify(create.paymentsByStatus)} in the database).`,
    '',
    `| | ${services.join(' | ')} |`,
    `|---|${services.map(() => '---').join('|')}|`,
    `| create, end to end | ${services.map((s) => create.endToEnd.microsecondsPerPayment[s]).join(' | ')} |`,
    `| ceiling-db (pgbench) | ${services.map((s) => ceilingDb.microsecondsPerPayment[s]).join(' | ')} |`,
    `| ceiling-db, no NOTIFY | ${services.map((s) => ceilingDbNoNotify.microsecondsPerPayment[s]).join(' | ')} |`,
    '',
    `Settlement: ${create.drain.processingAtLoadEnd} payments still processing and ` +
      `${create.drain.unsentOutboxAtLoadEnd} outbox rows unsent when the load ended; the last payment final ` +
      `${create.drain.settledAfterLoadS === null ? '(never)' : `${round1(create.drain.settledAfterLoadS)} s`} after ` +
      `(${create.settlement.afterLoadPerSecond ?? '–'} payments/s after the burst; ` +
      `${create.settlement.wholeBurstPerSecond ?? '–'} payments/s over the whole burst); ` +
      `${create.drain.unsentOutboxWhenSettled ?? '–'} outbox rows left unsent then; all sent ` +
      `${create.drain.drainedAfterLoadS === null ? '(never)' : `${round1(create.drain.drainedAfterLoadS)} s`} after the load.`,
    '',
    `## Queries the app sent per payment (burst → drained: ${create.queriesPerPayment.total} in all)`,
    '',
    '| per payment | statement (first 120 characters) |',
    '|---|---|',
    ...create.queriesPerPayment.byStatement.map(({ statement, perPayment }) => `| ${perPayment} | \`${statement}\` |`),
    '',
    '## pgbench: average latency per statement of the payment script (ms)',
    '',
    '| with NOTIFY | without | statement |',
    '|---|---|---|',
    ...ceilingDb.pgbench.statementLatencyMs.map(({ statement, averageMs }) => {
      const without = ceilingDbNoNotify.pgbench.statementLatencyMs.find((entry) => entry.statement === statement);
      return `| ${averageMs} | ${without?.averageMs ?? '–'} | \`${statement}\` |`;
    }),
    '',
    ...result.notes.map((note) => `- ${note}`),
    '',
    `Machine: ${env.cores} cores (${env.cpuModel}), ${env.memoryGiB} GiB; Node ${env.node}; 1-minute load ` +
      `average ${env.loadAverage1m.atStart} at start, ${env.loadAverage1m.atEnd} at the end. ${env.topology}.`,
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const settings = loadSettingsFromEnvironment();
  const loadAverageAtStart = os.loadavg()[0] ?? 0;
  const { databaseName, queuePrefix, adminToken, environment } = scratchRun();
  const pgbenchDatabaseName = `${databaseName}_pgbench`;
  const config = parseConfig(environment);
  const pgbenchDatabaseUrl = `${postgresServerUrl}/${pgbenchDatabaseName}`;
  process.once('SIGINT', () => {
    interrupted = true;
    stopLoad();
  });

  let scenarios: Scenarios;
  let server: ServerProcess | undefined;
  let redis: RedisCpuProbe | undefined;
  let processes: ProcessCpuProbe | undefined;
  const cleanupFailures: string[] = [];
  try {
    server = await ServerProcess.start(environment);
    console.log(`app listening on 127.0.0.1:${server.port}, database ${databaseName}`);
    redis = await RedisCpuProbe.connect(config.redis.cacheUrl);
    await migrateDatabase(pgbenchDatabaseUrl);
    await preparePgbenchDatabase(pgbenchDatabaseUrl);
    processes = await ProcessCpuProbe.connect({
      appPid: server.pid,
      redisPid: await redis.processId(),
      databaseUrl: config.database.url,
      benchDatabases: [databaseName, pgbenchDatabaseName],
    });
    const baseUrl = `http://127.0.0.1:${server.port}`;
    const merchantResponse = await fetch(`${baseUrl}/v1/admin/merchants`, {
      method: 'POST',
      headers: { 'x-admin-token': adminToken, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bench merchant' }),
    });
    if (merchantResponse.status !== 201) throw new Error(`creating the merchant: ${merchantResponse.status}`);
    const authorization = `Bearer ${((await merchantResponse.json()) as { api_key: string }).api_key}`;

    console.log(`ceiling-http: GET /health/live (${settings.warmupS} s warm-up + ${settings.durationS} s)…`);
    const ceilingHttp = await measureRoute(server, redis, settings, { path: '/health/live' }, { processes });
    console.log(`  ${Math.round(ceilingHttp.requests.perSecond.average)} req/s, p99 ${ceilingHttp.latencyMs.p99} ms`);
    console.log(`ceiling-db: pgbench, ${settings.connections} clients…`);
    const ceilingDb = await measureDbCeiling(processes, settings, pgbenchDatabaseUrl, true);
    console.log(`  ${ceilingDb.pgbench.transactionsPerSecond} payments/s, p99 ${ceilingDb.pgbench.latencyMs.p99} ms`);
    console.log(`ceiling-db without pg_notify…`);
    const ceilingDbNoNotify = await measureDbCeiling(processes, settings, pgbenchDatabaseUrl, false);
    console.log(
      `  ${ceilingDbNoNotify.pgbench.transactionsPerSecond} payments/s, p99 ${ceilingDbNoNotify.pgbench.latencyMs.p99} ms`,
    );
    console.log('create: POST /v1/payments, then the settlement drain…');
    const create = await measureCreate(server, redis, processes, settings, config.database.url, authorization);
    console.log(
      `  ${Math.round(create.run.requests.perSecond.average)} req/s, p99 ${create.run.latencyMs.p99} ms; ` +
        `${create.endToEnd.microsecondsPerPayment.total} CPU-µs per payment end to end`,
    );
    scenarios = { ceilingHttp, ceilingDb, ceilingDbNoNotify, create };
  } finally {
    await processes?.close().catch(() => undefined);
    await redis?.close().catch(() => undefined);
    await server?.stop();
    const cleanups: [string, () => Promise<unknown>][] = [
      ['drop the database', () => dropDatabase(config.database.url)],
      ['drop the pgbench database', () => dropDatabase(pgbenchDatabaseUrl)],
      [
        'delete the RabbitMQ exchange and queue',
        () => deleteEventsTopology(config.rabbitmq.url, config.rabbitmq.eventsExchange, [config.webhooks.eventsQueue]),
      ],
      ['delete the Redis keys', () => deleteRedisKeys([config.redis.url, config.redis.cacheUrl], queuePrefix)],
    ];
    for (const [what, cleanup] of cleanups) {
      await cleanup().catch((error: unknown) => {
        cleanupFailures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
    for (const failure of cleanupFailures) console.error(`cleanup failed: could not ${failure}`);
  }

  const problems = problemsOf(scenarios);
  const notes = [
    'pg_stat_statements is not loaded on this server (shared_preload_libraries is empty): the statements above are ' +
      "counted in the app's process (every pg Client query), not by PostgreSQL.",
    'PostgreSQL CPU counts the backends of the two bench databases and the server processes (checkpointer, WAL ' +
      'writer, …); bench backends that exit during a run (those of pgbench, at its end) count up to their last sample ' +
      '(every 200 ms); backends of other databases (other users of this server) and other children that exited ' +
      'during a run are left out and shown apart. The drain poller (one query every 100 ms) and the probe are bench backends.',
    'Redis: the redis-server the app uses (INFO process_id); RabbitMQ: beam.smp and its children; load generator: ' +
      'this process (autocannon) with the children it waited for (pgbench).',
    'Before the measured create run the warm-up backlog drains, so the burst starts with nothing processing and ' +
      'no outbox row unsent.',
  ];
  const result = {
    benchmark: 'write-path' as const,
    date: new Date().toISOString(),
    valid: problems.length === 0,
    problems,
    notes,
    settings,
    environment: machineDescription({ atStart: loadAverageAtStart, atEnd: os.loadavg()[0] ?? 0 }),
    sourceTree: sourceTreeState(),
    scenarios,
  };
  await mkdir(resultsDirectory, { recursive: true });
  await writeAtomically(path.join(resultsDirectory, 'write-path.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeAtomically(path.join(resultsDirectory, 'write-path.md'), formatMarkdown(result));
  for (const problem of problems) console.error(`problem: ${problem}`);
  console.log(`written to ${path.relative(process.cwd(), resultsDirectory)}/write-path.{json,md}`);
  return result.valid && cleanupFailures.length === 0 ? 0 : 1;
}

main().then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    if (interrupted) console.error('interrupted before the end: no result written');
    console.error(error);
    process.exit(1);
  },
);
