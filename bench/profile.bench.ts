/**
 * The profiled pass of `npm run bench` on its own (`npm run bench:profile`), for the loop of changing the app and
 * seeing where its time went: a fresh app of role `all` runs `create` until every payment is settled and the
 * 1,000-payment `get-cached` under V8's sampling profiler, and the summary is printed, with each sample also charged
 * to the app's own function nearest the leaf of its stack (what of ours the time was spent for, libraries included).
 * It judges nothing and writes no report; the .cpuprofile files stay in BENCH_CPU_PROFILE_DIR (or a temporary
 * directory, printed) to open in Chrome DevTools.
 *
 * `sustained` (not by default) sends creates open loop at BENCH_PROFILE_RATE per second (200) instead, profiled
 * from the first send until every payment is settled: what a payment costs when batches are small.
 *
 *   npm run bench:profile                                # create and get-cached, 5 s each
 *   BENCH_PROFILED_S=10 BENCH_PROFILE_SCENARIOS=create,sustained npm run bench:profile
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { parseConfig } from '../src/config/config.schema';
import { type AppBuild, buildApp, removeAppBuild } from './support/app-build';
import { loadSettingsFromEnvironment, positiveInteger, scratchRun } from './support/bench-run';
import { appFramesOf, summarizeProfile } from './support/cpu-profile';
import { runOpenLoop } from './support/open-loop';
import { PaymentEventsWatch } from './support/payment-events-watch';
import { type ProfiledPassRoute, type ProfiledRun, runProfiledPass } from './support/profiled-pass';
import { RedisCpuProbe } from './support/redis-cpu';
import { runCleanups, scratchRunCleanups } from './support/scratch-resources';
import { ServerProcess } from './support/server-process';
import {
  createMerchant,
  paymentBody,
  paymentCreateRoute,
  seedPayments,
  waitUntilSettled,
  type WriteContext,
} from './support/write-scenarios';

process.setSourceMapsEnabled(true);

const shown = 25;

async function main(): Promise<void> {
  const settings = loadSettingsFromEnvironment();
  const wanted = new Set((process.env.BENCH_PROFILE_SCENARIOS ?? 'create,get-cached').split(','));
  const spreadPayments = positiveInteger('BENCH_SPREAD_PAYMENTS', 1000);
  const { queuePrefix, adminToken, environment } = scratchRun();
  delete environment.BENCH_CPU_PROFILE_DIR;
  const config = parseConfig(environment);
  const directory = process.env.BENCH_CPU_PROFILE_DIR
    ? path.resolve(process.env.BENCH_CPU_PROFILE_DIR)
    : await mkdtemp(path.join(os.tmpdir(), 'bench-profiles-'));
  await mkdir(directory, { recursive: true });
  let build: AppBuild | undefined;
  let server: ServerProcess | undefined;
  let watch: PaymentEventsWatch | undefined;
  let redis: RedisCpuProbe | undefined;
  let database: Client | undefined;
  try {
    build = await buildApp(queuePrefix);
    server = await ServerProcess.start({ ...environment, APP_ROLE: 'all' }, { builtScript: build.serverScript });
    watch = await PaymentEventsWatch.start(config.rabbitmq.urls[0]!, config.rabbitmq.eventsExchange);
    redis = await RedisCpuProbe.connect(config.redis.url);
    database = new Client({ connectionString: config.database.url });
    await database.connect();
    const authorization = await createMerchant(server, adminToken);
    // Only what seeding and the settled wait read of a write context.
    const context = {
      app: { all: server },
      httpServers: [server],
      watch,
      database,
      vacuumBeforeScenarios: false,
      authorization,
      interrupted: () => false,
    } as unknown as WriteContext;
    const routes: ProfiledPassRoute[] = [];
    if (wanted.has('get-cached')) {
      const ids = await seedPayments(context, spreadPayments);
      routes.push({
        scenario: `get-cached, ${ids.length} payments`,
        route: {
          path: `/v1/payments/${ids[0]}`,
          paths: ids.map((id) => `/v1/payments/${id}`),
          headers: { authorization },
        },
        window: 'the measured reads',
      });
    }
    if (wanted.has('create')) {
      routes.push({
        scenario: 'create',
        route: paymentCreateRoute(authorization),
        afterLoad: async () => {
          if (!(await waitUntilSettled(context)).drained) throw new Error('the profiled creates did not settle');
        },
        window: 'the measured creates, then until every payment was settled',
      });
    }
    const durationS = positiveInteger('BENCH_PROFILED_S', 5);
    const runs = await runProfiledPass(server, redis, { ...settings, warmupS: 1, durationS }, directory, routes);
    if (wanted.has('sustained')) {
      const ratePerSecond = positiveInteger('BENCH_PROFILE_RATE', 200);
      const file = path.join(directory, `profile-sustained-${ratePerSecond}.cpuprofile`);
      let answeredPerSecond: number;
      await server.startProfile();
      try {
        const load = await runOpenLoop({
          origin: `http://127.0.0.1:${server.port}`,
          path: '/v1/payments',
          method: 'POST',
          headers: { authorization },
          body: paymentBody(),
          perRequestHeaders: paymentCreateRoute(authorization).perRequestHeaders,
          ratePerSecond,
          warmupS: 0,
          durationS,
          connections: 256,
          timeoutMs: 10_000,
        });
        answeredPerSecond = load.answeredPerSecond;
        if (!(await waitUntilSettled(context)).drained) throw new Error('the profiled creates did not settle');
      } finally {
        await server.stopProfile(file);
      }
      runs.push({
        scenario: `sustained ${ratePerSecond}/s`,
        requestsPerSecond: Math.round(answeredPerSecond),
        window: 'the open-loop creates, then until every payment was settled',
        profile: await summarizeProfile(file, shown),
      } satisfies ProfiledRun);
    }
    for (const run of runs) {
      const { profile } = run;
      console.log(`\n## ${run.scenario}: ${run.requestsPerSecond} req/s profiled, ${profile.busyMs} ms busy`);
      console.log(`   ${profile.file}`);
      console.log('\nby source:');
      for (const row of profile.bySource) console.log(`  ${row.percent.toFixed(1).padStart(5)} %  ${row.source}`);
      console.log('\ntop functions (self):');
      for (const row of profile.topFunctions) {
        console.log(`  ${row.percent.toFixed(1).padStart(5)} %  ${row.name}  ${row.where}`);
      }
      console.log("\ncharged to the app's nearest own function (self + the libraries it called):");
      for (const row of (await appFramesOf(profile.file)).slice(0, shown)) {
        console.log(`  ${row.percent.toFixed(1).padStart(5)} %  ${row.name}  ${row.where}`);
      }
    }
  } finally {
    await database?.end().catch(() => undefined);
    await redis?.close().catch(() => undefined);
    await server?.stop();
    const failures = await runCleanups([
      ["close the benchmark's events queue", async () => watch?.close()],
      ['remove the built app', async () => build && removeAppBuild(build.directory)],
      ...scratchRunCleanups(config, queuePrefix),
    ]);
    for (const failure of failures) console.error(failure);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
