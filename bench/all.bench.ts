/**
 * Issue 13's benchmark, every scenario in one run against freshly started apps:
 *
 * 1. With one app process of role `all` (as `npm start` runs it):
 *    - ceiling-http: `GET /health/live` (no I/O), autocannon, 50 connections;
 *    - get-cached: `GET /v1/payments/:id` from the cache, one payment, then 1,000 payments at random; balance:
 *      `GET /v1/balance` (cached);
 *    - ceiling-db: pgbench writing the rows of one payment per transaction (support/pgbench.ts), 50 clients, on a
 *      database of its own migrated like the app's; again without the two pg_notify, for information;
 *    - create: `POST /v1/payments` (4242 card, a fresh Idempotency-Key each), autocannon closed loop, 50
 *      connections, with what its payments cost end to end;
 *    - sustained: an open-loop rate (support/open-loop.ts) held BENCH_SUSTAINED_HOLD_S, stepped up until a step
 *      fails (support/write-scenarios.ts says when one holds).
 * 2. With the roles split, one process each of `api`, `worker` and `relay` on the same database, queue prefix and
 *    exchange: first `create` against the api process alone, before the worker and relay start (the create path
 *    with nothing settling beside it: what bounds `create` in role all), then create and sustained again, against
 *    the api process, once the worker and relay have settled what it created.
 * 3. With `--processes` (or BENCH_PROCESSES=1), scaled: two `api`, two `worker` and one `relay` process, the load
 *    spread over both api processes in turn as a load balancer would: create and sustained again, reported beside
 *    the single process and the split roles (which run whatever BENCH_SPLIT_ROLES says).
 * 4. A profiled pass, judged nothing (BENCH_PROFILED_PASS=0 leaves it out): a fresh app of role `all` runs the
 *    spread get-cached and create again for BENCH_PROFILED_S under V8's profiler (support/profiled-pass.ts), and the
 *    report says where its time went.
 *
 * A payment is settled once the benchmark's own queue on the app's events exchange has received its
 * `payment.processing` and its final event (support/payment-events-watch.ts). CPU by process from /proc (app
 * processes, PostgreSQL, Redis, RabbitMQ, this process as load generator: support/process-cpu.ts); the app's
 * resident memory sampled throughout (support/memory-watch.ts).
 *
 *   npm run bench [-- --processes]
 *   # BENCH_DURATION_S=10 BENCH_WARMUP_S=3 BENCH_CONNECTIONS=50 BENCH_SPREAD_PAYMENTS=1000
 *   # BENCH_SUSTAINED_HOLD_S=30 BENCH_SUSTAINED_START_RATE=100 BENCH_SUSTAINED_STEP_PERCENT=50
 *   # BENCH_SUSTAINED_STEPS=10 BENCH_SUSTAINED_STEPS_DOWN=3 BENCH_SUSTAINED_REFINE_STEPS=2
 *   # BENCH_SUSTAINED_CONNECTIONS=256 BENCH_SPLIT_ROLES=1 BENCH_PROCESSES=0 BENCH_PROFILED_PASS=1 BENCH_PROFILED_S=5
 *   # BENCH_CPU_PROFILE_DIR=/tmp/prof (V8 profiles of the app over `create`), BENCH_RESULTS_DIR=bench/results,
 *   # BENCH_UPDATE_README=1 (puts README-table.md into README.md between its bench-results markers)
 *
 * Results: bench.json, bench.md, bench.svg (the chart) and README-table.md in BENCH_RESULTS_DIR. A missed target
 * is a result; the exit code is 1 when the run fails, is interrupted, cannot clean up, or a measurement is invalid.
 * Everything the run makes — databases, Redis keys, the exchange and queues, the app processes — is removed at
 * the end, on failure and on Ctrl-C too.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import * as prettier from 'prettier';
import { parseConfig } from '../src/config/config.schema';
import { migrateDatabase } from '../src/database/migrate';
import {
  type BenchResult,
  chartRows,
  formatMarkdown,
  judgeTargets,
  type PhaseResult,
  phasesOf,
  problemsOf,
  readmeExcerpt,
  type Scenarios,
} from './support/all-report';
import {
  flag,
  loadSettingsFromEnvironment,
  nonNegativeInteger,
  positiveInteger,
  postgresServerUrl,
  scratchRun,
  sourceTreeState,
  writeAtomically,
} from './support/bench-run';
import { type AppBuild, buildApp, removeAppBuild } from './support/app-build';
import { renderChart } from './support/chart';
import { stopLoad } from './support/load';
import { type LoadSettings, measureRoute, type RouteResult } from './support/measure';
import { ResidentMemoryWatch } from './support/memory-watch';
import { stopOpenLoop } from './support/open-loop';
import { PaymentEventsWatch } from './support/payment-events-watch';
import { runProfiledPass } from './support/profiled-pass';
import { preparePgbenchDatabase } from './support/pgbench';
import { ProcessCpuProbe } from './support/process-cpu';
import { machineDescription } from './support/report';
import { RedisCpuProbe } from './support/redis-cpu';
import { dropDatabase, runCleanups, scratchRunCleanups } from './support/scratch-resources';
import { PostgresStatements } from './support/server-statistics';
import { ServerProcess } from './support/server-process';
import {
  createMerchant,
  measureCreate,
  measureDbCeiling,
  measureSustained,
  paymentCreateRoute,
  seedPayments,
  waitUntilSettled,
  type SustainedSettings,
  type WriteContext,
} from './support/write-scenarios';

const repositoryRoot = path.join(__dirname, '..');
const readmeMarkers = { start: '<!-- bench-results:start -->', end: '<!-- bench-results:end -->' };
/** The app as separate processes: how many of each role, started in this order. */
type RoleCounts = readonly (readonly [role: 'relay' | 'worker' | 'api', count: number])[];
const splitRoles: RoleCounts = [
  ['relay', 1],
  ['worker', 1],
  ['api', 1],
];
const scaledRoles: RoleCounts = [
  ['relay', 1],
  ['worker', 2],
  ['api', 2],
];

/** `api + worker + relay`, `2 api + 2 worker + relay`: the processes of a phase, the api first. */
function rolesText(counts: RoleCounts): string {
  return counts
    .toReversed()
    .map(([role, count]) => (count === 1 ? role : `${count} ${role}`))
    .join(' + ');
}
/** A driver this late against its schedule (p99) is measuring its own machine's load as much as the app. */
const sendLagNotedMs = 10;

process.setSourceMapsEnabled(true);

let interrupted = false;

function checkInterrupted(): void {
  if (interrupted) throw new Error('interrupted');
}

function sustainedSettingsFromEnvironment(warmupS: number): SustainedSettings {
  return {
    warmupS,
    holdS: positiveInteger('BENCH_SUSTAINED_HOLD_S', 30),
    startRatePerSecond: positiveInteger('BENCH_SUSTAINED_START_RATE', 100),
    stepPercent: positiveInteger('BENCH_SUSTAINED_STEP_PERCENT', 50),
    stepsMax: positiveInteger('BENCH_SUSTAINED_STEPS', 10),
    stepsDownMax: nonNegativeInteger('BENCH_SUSTAINED_STEPS_DOWN', 3),
    refineSteps: nonNegativeInteger('BENCH_SUSTAINED_REFINE_STEPS', 2),
    connections: positiveInteger('BENCH_SUSTAINED_CONNECTIONS', 256),
  };
}

const took = (run: RouteResult) => `${Math.round(run.requests.perSecond.average)} req/s, p99 ${run.latencyMs.p99} ms`;

/** `create` then `sustained` on the app of `context`. */
async function measureWrites(
  context: WriteContext,
  roles: string,
  settings: LoadSettings,
  sustainedSettings: SustainedSettings,
  memory: ResidentMemoryWatch,
  label: string,
): Promise<PhaseResult> {
  memory.enter(`create${label}`);
  console.log(`create${label}: POST /v1/payments, closed loop, then until every payment is settled…`);
  const create = await measureCreate(context, settings, `create${label.replace(/\W+/g, '-').replace(/-$/, '')}`);
  console.log(
    `  ${took(create.run)}; ${create.cost.microsecondsPerPayment.total} CPU-µs per payment end to end ` +
      `(${create.payments} payments, settled ${create.settledAfterLoadS ?? 'never'} s after the load)`,
  );
  checkInterrupted();
  memory.enter(`sustained${label}`);
  console.log(`sustained${label}: open loop from ${sustainedSettings.startRatePerSecond}/s…`);
  const sustained = await measureSustained(context, sustainedSettings, (line) => console.log(line));
  checkInterrupted();
  return { roles, create, sustained };
}

/** README.md's benchmark results, between its markers, replaced by `excerpt`. */
async function updateReadme(excerpt: string): Promise<void> {
  const file = path.join(repositoryRoot, 'README.md');
  const readme = await readFile(file, 'utf8');
  const start = readme.indexOf(readmeMarkers.start);
  const end = readme.indexOf(readmeMarkers.end);
  if (start < 0 || end < start) throw new Error(`README.md has no ${readmeMarkers.start} … ${readmeMarkers.end}`);
  await writeAtomically(
    file,
    `${readme.slice(0, start + readmeMarkers.start.length)}\n\n${excerpt}\n${readme.slice(end)}`,
  );
}

async function main(): Promise<number> {
  const startedAt = performance.now();
  const settings = loadSettingsFromEnvironment();
  const sustainedSettings = sustainedSettingsFromEnvironment(settings.warmupS);
  const spreadPayments = positiveInteger('BENCH_SPREAD_PAYMENTS', 1000);
  const scaled = process.argv.includes('--processes') || flag('BENCH_PROCESSES', false);
  // The scaled phase is compared with one process per role: --processes runs the split phase too.
  const split = flag('BENCH_SPLIT_ROLES', true) || scaled;
  const profiledPass = flag('BENCH_PROFILED_PASS', true);
  const resultsDirectory = path.resolve(process.env.BENCH_RESULTS_DIR ?? path.join(__dirname, 'results'));
  const profileDirectory = process.env.BENCH_CPU_PROFILE_DIR
    ? path.resolve(process.env.BENCH_CPU_PROFILE_DIR)
    : undefined;
  if (profileDirectory) await mkdir(profileDirectory, { recursive: true });
  const loadAverageAtStart = os.loadavg()[0] ?? 0;
  const { databaseName, queuePrefix, adminToken, environment } = scratchRun();
  // The app profiles itself on request over `create` here, not over its whole life (ServerProcess.start's option).
  delete environment.BENCH_CPU_PROFILE_DIR;
  const config = parseConfig(environment);
  const pgbenchDatabaseName = `${databaseName}_pgbench`;
  const pgbenchDatabaseUrl = `${postgresServerUrl}/${pgbenchDatabaseName}`;
  const interrupt = (signal: string) => {
    console.error(`${signal}: stopping and cleaning up…`);
    interrupted = true;
    stopLoad();
    stopOpenLoop();
  };
  process.once('SIGINT', () => interrupt('SIGINT'));
  process.once('SIGTERM', () => interrupt('SIGTERM'));

  const servers: ServerProcess[] = [];
  const memory = new ResidentMemoryWatch();
  let build: AppBuild | undefined;
  let watch: PaymentEventsWatch | undefined;
  let redis: RedisCpuProbe | undefined;
  let database: Client | undefined;
  let statements: PostgresStatements | undefined;
  let autovacuumOff: boolean | undefined;
  let processes: ProcessCpuProbe | undefined;
  let scenarios: Scenarios;
  const cleanupFailures: string[] = [];
  try {
    console.log('building the app (src/ and the server harness, as `nest build` would)…');
    build = await buildApp(queuePrefix);
    const start = (role: string) =>
      ServerProcess.start({ ...environment, APP_ROLE: role }, { builtScript: build!.serverScript });
    const all = await start('all');
    servers.push(all);
    memory.watch('all', all.pid);
    console.log(`app (all) listening on 127.0.0.1:${all.port}, database ${databaseName}`);
    watch = await PaymentEventsWatch.start(config.rabbitmq.urls[0]!, config.rabbitmq.eventsExchange);
    redis = await RedisCpuProbe.connect(config.redis.url);
    database = new Client({ connectionString: config.database.url });
    await database.connect();
    const { rows: autovacuumRows } = await database.query<{ autovacuum: string }>('SHOW autovacuum');
    autovacuumOff = autovacuumRows[0]?.autovacuum === 'off';
    statements = await PostgresStatements.connect(config.database.url);
    await migrateDatabase(pgbenchDatabaseUrl);
    await preparePgbenchDatabase(pgbenchDatabaseUrl);
    processes = await ProcessCpuProbe.connect({
      appPids: { all: all.pid },
      redisPid: await redis.processId(),
      databaseUrl: config.database.url,
      benchDatabases: [databaseName, pgbenchDatabaseName],
    });
    const authorization = await createMerchant(all, adminToken);
    const context: WriteContext = {
      app: { all },
      httpServers: [all],
      processes,
      redis,
      statements,
      rabbitmqUrl: config.rabbitmq.urls[0]!,
      watch,
      database,
      vacuumBeforeScenarios: autovacuumOff,
      authorization,
      profileDirectory,
      interrupted: () => interrupted,
    };
    const each = `${settings.warmupS} s warm-up + ${settings.durationS} s`;

    memory.enter('seeding');
    console.log(`seeding ${spreadPayments + 1} payments for the reads…`);
    const [paymentId, ...spreadIds] = await seedPayments(context, spreadPayments + 1);
    checkInterrupted();
    const measureRead = async (name: string, route: Parameters<typeof measureRoute>[3]) => {
      memory.enter(name);
      console.log(`${name} (${each})…`);
      const run = await measureRoute(all, redis!, settings, route, { processes });
      checkInterrupted();
      console.log(`  ${took(run)}`);
      return run;
    };
    const ceilingHttp = await measureRead('ceiling-http', { path: '/health/live' });
    const getCached = await measureRead('get-cached', {
      path: `/v1/payments/${paymentId}`,
      headers: { authorization },
    });
    const getCachedSpread = await measureRead(`get-cached, ${spreadIds.length} payments`, {
      path: `/v1/payments/${paymentId}`,
      paths: spreadIds.map((id) => `/v1/payments/${id}`),
      headers: { authorization },
    });
    const balance = await measureRead('balance', { path: '/v1/balance', headers: { authorization } });

    memory.enter('ceiling-db');
    console.log(`ceiling-db: pgbench, ${settings.connections} clients (${each})…`);
    const ceilingDb = await measureDbCeiling(processes, settings, pgbenchDatabaseUrl, true);
    console.log(`  ${ceilingDb.pgbench.transactionsPerSecond} payments/s, p99 ${ceilingDb.pgbench.latencyMs.p99} ms`);
    checkInterrupted();
    console.log('ceiling-db without pg_notify…');
    const ceilingDbNoNotify = await measureDbCeiling(processes, settings, pgbenchDatabaseUrl, false);
    console.log(`  ${ceilingDbNoNotify.pgbench.transactionsPerSecond} payments/s`);
    checkInterrupted();

    const allPhase = await measureWrites(context, 'all', settings, sustainedSettings, memory, '');
    scenarios = { ceilingHttp, getCached, getCachedSpread, balance, ceilingDb, ceilingDbNoNotify, all: allPhase };

    /**
     * Stops the app's processes so far and measures the writes again with the processes of `counts`. With
     * `measureApiAlone`, the api processes start first and `create` runs against them alone (nothing settles while
     * it runs: no worker, no relay), before the others start and settle what it created.
     */
    const measurePhase = async (
      counts: RoleCounts,
      label: string,
      measureApiAlone = false,
    ): Promise<{ phase: PhaseResult; apiAlone?: RouteResult }> => {
      await Promise.all(servers.map((server) => server.stop()));
      memory.forget();
      memory.enter(`start (${label})`);
      await processes?.close();
      processes = undefined;
      const app: Record<string, ServerProcess> = {};
      const apis: ServerProcess[] = [];
      const startRoles = async (roles: RoleCounts) => {
        for (const [role, count] of roles) {
          for (let index = 1; index <= count; index += 1) {
            const server = await start(role);
            const name = count === 1 ? role : `${role} ${index}`;
            servers.push(server);
            app[name] = server;
            memory.watch(name, server.pid);
            if (role === 'api') apis.push(server);
          }
        }
      };
      const probeApp = async () =>
        ProcessCpuProbe.connect({
          appPids: Object.fromEntries(Object.entries(app).map(([name, server]) => [name, server.pid])),
          redisPid: await redis!.processId(),
          databaseUrl: config.database.url,
          benchDatabases: [databaseName, pgbenchDatabaseName],
        });
      let apiAlone: RouteResult | undefined;
      if (measureApiAlone) {
        await startRoles(counts.filter(([role]) => role === 'api'));
        processes = await probeApp();
        memory.enter(`create, api alone (${label})`);
        console.log(`create, the api process alone (${each}; nothing settles while it runs)…`);
        apiAlone = await measureRoute(apis, redis!, settings, paymentCreateRoute(authorization), { processes });
        console.log(`  ${took(apiAlone)}`);
        checkInterrupted();
        await processes.close();
        await startRoles(counts.filter(([role]) => role !== 'api'));
      } else {
        await startRoles(counts);
      }
      console.log(
        `app ${label}: ${Object.entries(app)
          .map(([name, server]) => `${name} pid ${server.pid}`)
          .join(', ')}`,
      );
      processes = await probeApp();
      const phaseContext: WriteContext = { ...context, app, httpServers: apis, processes };
      // Its create settles first what the api alone created (measureCreate drains before its window).
      const phase = await measureWrites(
        phaseContext,
        rolesText(counts),
        settings,
        sustainedSettings,
        memory,
        ` (${label})`,
      );
      return { phase, apiAlone };
    };
    if (split) {
      const { phase, apiAlone } = await measurePhase(splitRoles, 'split', true);
      scenarios.split = phase;
      scenarios.createApiAlone = apiAlone;
    }
    if (scaled) scenarios.scaled = (await measurePhase(scaledRoles, 'scaled')).phase;
    if (profiledPass) {
      await Promise.all(servers.map((server) => server.stop()));
      await processes?.close();
      processes = undefined;
      console.log("profiled pass: a fresh app (all) under V8's profiler, judged nothing…");
      const profiled = await start('all');
      servers.push(profiled);
      const directory = profileDirectory ?? (await mkdtemp(path.join(os.tmpdir(), 'bench-profiles-')));
      try {
        scenarios.profiled = await runProfiledPass(
          profiled,
          redis,
          { ...settings, warmupS: 1, durationS: positiveInteger('BENCH_PROFILED_S', 5) },
          directory,
          [
            {
              scenario: `get-cached, ${spreadIds.length} payments`,
              route: {
                path: `/v1/payments/${paymentId}`,
                paths: spreadIds.map((id) => `/v1/payments/${id}`),
                headers: { authorization },
              },
              window: 'the measured reads',
            },
            {
              scenario: 'create',
              route: paymentCreateRoute(authorization),
              afterLoad: async () => {
                if (!(await waitUntilSettled(context)).drained) throw new Error('the profiled creates did not settle');
              },
              window: 'the measured creates, then until every payment was settled (authorization, ledger, events)',
            },
          ],
        );
      } finally {
        if (!profileDirectory) await rm(directory, { recursive: true, force: true });
      }
      for (const run of scenarios.profiled) {
        console.log(`  ${run.scenario}: ${run.requestsPerSecond} req/s profiled, ${run.profile.busyMs} ms busy`);
      }
    }
  } finally {
    memory.stop();
    await processes?.close().catch(() => undefined);
    await statements?.close().catch(() => undefined);
    await database?.end().catch(() => undefined);
    await redis?.close().catch(() => undefined);
    await Promise.all(servers.map((server) => server.stop()));
    cleanupFailures.push(
      ...(await runCleanups([
        ["close the benchmark's events queue", async () => watch?.close()],
        ['remove the built app', async () => build && removeAppBuild(build.directory)],
        ['drop the pgbench database', () => dropDatabase(pgbenchDatabaseUrl)],
        ...scratchRunCleanups(config, queuePrefix),
      ])),
    );
  }

  const environmentDescription = machineDescription({ atStart: loadAverageAtStart, atEnd: os.loadavg()[0] ?? 0 });
  environmentDescription.topology =
    'The app in child processes (one of role all, then one each of api, worker and relay' +
    (scaled ? ', then two api, two worker and one relay' : '') +
    '), autocannon, the ' +
    "open-loop driver and the benchmark's event subscriber in the benchmark process; PostgreSQL, Redis and " +
    'RabbitMQ local; all on this machine';
  const memoryResult = memory.result();
  const problems = problemsOf(scenarios, settings.connections);
  const driverLagMs = Math.max(
    0,
    ...phasesOf(scenarios).flatMap(({ phase }) => phase.sustained.steps.map((step) => step.load.sendLagMs.p99)),
  );
  const notes = [
    ...(driverLagMs > sendLagNotedMs
      ? [
          `the open-loop driver sent up to ${driverLagMs} ms late (p99 of a step) against its schedule: its own ` +
            'event loop was held up (a busy machine), and that lateness counts in the sustained latencies',
        ]
      : []),
    ...(watch && watch.unreadable > 0 ? [`${watch.unreadable} messages on payment.* were not payment events`] : []),
    ...(watch && watch.duplicates > 0 ? [`RabbitMQ delivered ${watch.duplicates} event(s) twice (counted once)`] : []),
    ...(statements?.unavailable ? [`PostgreSQL statements: ${statements.unavailable}.`] : []),
    ...(autovacuumOff
      ? [
          "PostgreSQL's autovacuum is off on this server: the benchmark ran VACUUM (ANALYZE) on the app's database " +
            'before `create` and before each `sustained` step, outside their measured windows, as autovacuum would ' +
            'have cleared the dead rows of the scenarios before (outbox rows marked sent, payments moved on).',
        ]
      : []),
    'Before `create` and before each `sustained` step the benchmark ran CHECKPOINT, outside the measured windows: ' +
      'the pages the scenarios before dirtied are written out then, not by the checkpoint their WAL would trigger ' +
      'in the middle of the next scenario (on a server with max_wal_size at 1 GB, about every 90 s under this ' +
      'load), holding its commits up. A step that fails says whether a checkpoint ran during it.',
    'PostgreSQL CPU counts the backends of the two bench databases and the server processes (checkpointer, WAL ' +
      'writer, …); backends of other databases (other users of this server) are left out. Redis: the whole ' +
      'redis-server the app uses (its commandstats too), other users included; RabbitMQ: beam.smp and its ' +
      'children; load generator: this process (autocannon, the open-loop driver, the event subscriber) with the ' +
      'children it waited for (pgbench).',
    "Payment counts are read from the app's database (one count(*) a second while waiting for settlement); " +
      "settlement itself is read from the benchmark's own queue, bound to the events exchange for payment.*.",
    ...(profileDirectory
      ? [
          `V8 profiles of the app over \`create\` in ${profileDirectory} (open them in Chrome DevTools). Profiling ` +
            'costs the app some CPU over `create`, and the profile it keeps raises its RSS from then on: take the ' +
            'targets from a run without BENCH_CPU_PROFILE_DIR.',
        ]
      : ['Set BENCH_CPU_PROFILE_DIR for V8 profiles of the app over `create`, summarized in this report.']),
  ];
  const result: BenchResult = {
    benchmark: 'all',
    date: new Date().toISOString(),
    tookS: Math.round((performance.now() - startedAt) / 1000),
    valid: problems.length === 0,
    problems,
    notes,
    targets: judgeTargets(scenarios, memoryResult, environmentDescription.cores, spreadPayments),
    settings: { ...settings, spreadPayments, splitRoles: split, processes: scaled, sustained: sustainedSettings },
    environment: environmentDescription,
    sourceTree: sourceTreeState(),
    memory: memoryResult,
    scenarios,
  };
  await mkdir(resultsDirectory, { recursive: true });
  const chart = await renderChart(
    chartRows(scenarios, spreadPayments),
    'npm run bench: throughput and p99 per scenario',
    `${result.date.slice(0, 10)}, ${environmentDescription.cores} cores (${environmentDescription.cpuModel}), ` +
      `Node ${environmentDescription.node}, source ${result.sourceTree.commit}`,
  );
  await writeAtomically(path.join(resultsDirectory, 'bench.svg'), chart);
  await writeAtomically(path.join(resultsDirectory, 'bench.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeAtomically(path.join(resultsDirectory, 'bench.md'), formatMarkdown(result, 'bench.svg'));
  const fromRoot = (file: string) => path.relative(repositoryRoot, path.join(resultsDirectory, file));
  // Formatted as the README is (prettier pads its tables), so that it can be pasted as it is.
  const readmeFile = path.join(repositoryRoot, 'README.md');
  const excerpt = await prettier.format(readmeExcerpt(result, fromRoot('bench.svg'), fromRoot('bench.md')), {
    ...(await prettier.resolveConfig(readmeFile)),
    parser: 'markdown',
  });
  await writeAtomically(path.join(resultsDirectory, 'README-table.md'), excerpt);
  if (flag('BENCH_UPDATE_README', false)) await updateReadme(excerpt);
  for (const target of result.targets) {
    console.log(`${target.pass ? 'pass' : 'MISS'}  ${target.target}: ${target.measured} (needs ${target.needed})`);
  }
  for (const problem of problems) console.error(`problem: ${problem}`);
  console.log(
    `written to ${path.relative(process.cwd(), resultsDirectory)}/bench.{md,json,svg} and README-table.md ` +
      `(the run took ${result.tookS} s)`,
  );
  return result.valid && cleanupFailures.length === 0 ? 0 : 1;
}

main().then(
  (exitCode) => process.exit(exitCode),
  (error: unknown) => {
    if (interrupted) console.error('interrupted before the end: no result written');
    else console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
