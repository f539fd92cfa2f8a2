/**
 * The write scenarios of `npm run bench`: ceiling-db (pgbench), create (autocannon, closed loop) and sustained (an
 * open-loop rate held, stepped up until it fails), each with what its payments cost end to end. A payment is
 * settled once the benchmark's own subscriber (support/payment-events-watch.ts) has received both its events, and
 * the app is drained once every payment in the database is settled: so the benchmark never asks the app's tables
 * more than how many payments there are.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import type { LoadedRoute, LoadSettings, RouteResult } from './measure';
import { measureRoute } from './measure';
import { runOpenLoop, type OpenLoopResult } from './open-loop';
import type { PaymentEventsWatch } from './payment-events-watch';
import { type PgbenchSummary, runPgbench } from './pgbench';
import { percentByService, ProcessCpuProbe, type ServiceCpu, serviceNames } from './process-cpu';
import { sleep } from './bench-run';
import type { ServerProcess } from './server-process';
import { sustainedBounds } from './targets';
import { type AppProcesses, type WorkCost, type WorkProbes, WorkWindow } from './work-window';

/** How long the app may take to settle what a run left behind before the benchmark gives up on it. */
const drainDeadlineMs = 180_000;
const drainPollMs = 50;
/** The payment count is read again this often while draining (a count(*) is cheap but not free). */
const drainCountIntervalMs = 1000;
/** Creates in flight while seeding the payments the reads need. */
const seedingConcurrency = 25;
const openLoopTimeoutMs = 10_000;

export interface WriteContext extends WorkProbes {
  app: AppProcesses;
  /**
   * The processes serving HTTP: one of role `all`, or the `api` ones; with several, the load goes to each in turn
   * (a load balancer's round robin).
   */
  httpServers: readonly ServerProcess[];
  watch: PaymentEventsWatch;
  /** A connection to the app's database (payment counts). */
  database: Client;
  /** The server's autovacuum is off: the database is vacuumed before each measured write scenario (vacuumIfDue). */
  vacuumBeforeScenarios: boolean;
  authorization: string;
  /** BENCH_CPU_PROFILE_DIR: profile the app's processes over the create scenario. */
  profileDirectory?: string;
  /** Set when the benchmark is interrupted: waits end early. */
  interrupted: () => boolean;
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/** A merchant created through the admin API; its API key as an Authorization header value. */
export async function createMerchant(server: ServerProcess, adminToken: string): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${server.port}/v1/admin/merchants`, {
    method: 'POST',
    headers: { 'x-admin-token': adminToken, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Bench merchant' }),
  });
  if (response.status !== 201) throw new Error(`creating the merchant: ${response.status} ${await response.text()}`);
  return `Bearer ${((await response.json()) as { api_key: string }).api_key}`;
}

export function paymentBody(): unknown {
  const card = { number: '4242424242424242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, cvc: '123' };
  return { amount: 1099, currency: 'usd', payment_method: { type: 'card', card } };
}

const freshIdempotencyKey = () => ({ 'idempotency-key': `bench-${randomBytes(12).toString('hex')}` });

/** `POST /v1/payments` as `create` loads it: a payment that succeeds, a fresh Idempotency-Key each request. */
export function paymentCreateRoute(authorization: string): LoadedRoute {
  return {
    path: '/v1/payments',
    method: 'POST',
    headers: { authorization },
    body: paymentBody(),
    perRequestHeaders: freshIdempotencyKey,
  };
}

async function paymentCount(database: Client): Promise<number> {
  const { rows } = await database.query<{ count: string }>('SELECT count(*) AS count FROM payments');
  return Number(rows[0]!.count);
}

/**
 * VACUUM (ANALYZE) of the app's database when the server's autovacuum is off, before a measured write scenario and
 * outside its window. Every payment leaves dead rows behind it (its outbox rows marked sent, its status moved on),
 * which autovacuum clears as it goes on a server that has it on. With it off they pile up scenario after scenario
 * and the later ones pay for the earlier ones: over 20,000 payments at 200/s on one database, PostgreSQL's CPU per
 * payment rose by about 40 % without a vacuum and stayed level with one between runs.
 */
async function vacuumIfDue(context: WriteContext): Promise<void> {
  if (context.vacuumBeforeScenarios) await context.database.query('VACUUM (ANALYZE)');
}

/**
 * The same start for every measured write scenario, outside its window: the dead rows vacuumed (vacuumIfDue), then a
 * CHECKPOINT, which writes out the pages the scenarios before dirtied. Without it, the checkpoint their WAL
 * triggers (every max_wal_size/2 or so of WAL: on this machine about every 90 s under load) lands in whichever
 * scenario comes next, and its writes and fsyncs hold that scenario's commits up. Each step still records the
 * checkpoints that ran during it (checkpointsDuring), which a step's own WAL can trigger.
 */
async function prepareDatabase(context: WriteContext): Promise<void> {
  await vacuumIfDue(context);
  await context.database.query('CHECKPOINT');
}

/** Checkpoints the server has made since its statistics were reset (requested and timed). */
async function checkpointCount(database: Client): Promise<number> {
  const { rows } = await database.query<{ count: string }>(
    'SELECT checkpoints_timed + checkpoints_req AS count FROM pg_stat_bgwriter',
  );
  return Number(rows[0]!.count);
}

export interface Drain {
  drained: boolean;
  /** Payments in the database not yet settled when the wait began. */
  unsettledAtStart: number;
  tookS: number;
}

/** Waits until every payment in the database has both its events at the watch (or the deadline). */
export async function waitUntilSettled(context: WriteContext, deadlineMs = drainDeadlineMs): Promise<Drain> {
  const startedAt = performance.now();
  let count = await paymentCount(context.database);
  const unsettledAtStart = Math.max(0, count - context.watch.settledCount);
  let countedAt = performance.now();
  for (;;) {
    if (context.watch.settledCount >= count) {
      // Confirmed by a fresh count: payments created since the last one would not be settled yet.
      count = await paymentCount(context.database);
      countedAt = performance.now();
      if (context.watch.settledCount >= count) {
        return { drained: true, unsettledAtStart, tookS: round1((performance.now() - startedAt) / 1000) };
      }
    }
    if (context.interrupted() || performance.now() - startedAt > deadlineMs) {
      return { drained: false, unsettledAtStart, tookS: round1((performance.now() - startedAt) / 1000) };
    }
    await sleep(drainPollMs);
    if (performance.now() - countedAt > drainCountIntervalMs) {
      count = await paymentCount(context.database);
      countedAt = performance.now();
    }
  }
}

/** Creates `count` payments (the 4242 card, captured automatically) and waits until all are settled. */
export async function seedPayments(context: WriteContext, count: number): Promise<string[]> {
  const ids: string[] = [];
  let sent = 0;
  const createOne = async () => {
    const server = context.httpServers[sent++ % context.httpServers.length]!;
    const response = await fetch(`http://127.0.0.1:${server.port}/v1/payments`, {
      method: 'POST',
      headers: { authorization: context.authorization, 'content-type': 'application/json', ...freshIdempotencyKey() },
      body: JSON.stringify(paymentBody()),
    });
    const text = await response.text();
    if (response.status !== 202) throw new Error(`seeding: POST /v1/payments answered ${response.status} ${text}`);
    ids.push((JSON.parse(text) as { id: string }).id);
  };
  let next = 0;
  const worker = async () => {
    while (next < count && !context.interrupted()) {
      next += 1;
      await createOne();
    }
  };
  await Promise.all(Array.from({ length: Math.min(seedingConcurrency, count) }, worker));
  const drain = await waitUntilSettled(context);
  if (!drain.drained) throw new Error(`the ${count} seeded payments did not settle within ${drainDeadlineMs} ms`);
  return ids;
}

export interface DbCeiling {
  pgbench: PgbenchSummary;
  cpu: ServiceCpu;
  percentOfOneCore: Record<string, number>;
  microsecondsPerPayment: Record<string, number>;
}

/** pgbench writing one payment's rows per transaction (support/pgbench.ts), warmed up, then measured. */
export async function measureDbCeiling(
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

export interface CreateScenario {
  run: RouteResult;
  /** Payments created from the first measured request until the drain (in-flight ones at the end included). */
  payments: number;
  /** Payments not settled yet when the load ended. */
  unsettledAtLoadEnd: number;
  /** From the end of the load until every payment was settled, or null if it never was. */
  settledAfterLoadS: number | null;
  /** Payments final per second over the load and the drain after it. */
  settledPerSecond: number | null;
  finalTypes: Record<string, number>;
  /** From the first measured create until every payment was settled. */
  cost: WorkCost;
}

/**
 * `POST /v1/payments`, autocannon closed loop; the warm-up's payments settle before the measured run, whose cost is
 * taken from its first create until every payment is settled.
 */
export async function measureCreate(
  context: WriteContext,
  settings: LoadSettings,
  profileLabel: string,
): Promise<CreateScenario> {
  let window: WorkWindow | undefined;
  let countBefore = 0;
  let settledBefore = 0;
  const finalsBefore = context.watch.finalTypes();
  const run = await measureRoute(
    context.httpServers,
    context.redis,
    settings,
    paymentCreateRoute(context.authorization),
    {
      processes: context.processes,
      beforeMeasured: async () => {
        const drain = await waitUntilSettled(context);
        if (!drain.drained) throw new Error('the warm-up payments did not settle');
        await prepareDatabase(context);
        countBefore = await paymentCount(context.database);
        settledBefore = context.watch.settledCount;
        window = await WorkWindow.open(
          context.app,
          context,
          context.profileDirectory ? { directory: context.profileDirectory, label: profileLabel } : undefined,
        );
      },
    },
  );
  const loadEndedAt = performance.now();
  const unsettledAtLoadEnd = Math.max(0, (await paymentCount(context.database)) - context.watch.settledCount);
  const drain = await waitUntilSettled(context);
  const settledAfterLoadS = drain.drained ? round1((performance.now() - loadEndedAt) / 1000) : null;
  const payments = (await paymentCount(context.database)) - countBefore;
  const cost = await window!.close(payments);
  const finalTypes = Object.fromEntries(
    Object.entries(context.watch.finalTypes()).map(([type, count]) => [type, count - (finalsBefore[type] ?? 0)]),
  );
  return {
    run,
    payments,
    unsettledAtLoadEnd,
    settledAfterLoadS,
    settledPerSecond:
      settledAfterLoadS === null
        ? null
        : Math.round((context.watch.settledCount - settledBefore) / (run.durationS + settledAfterLoadS)),
    finalTypes,
    cost,
  };
}

export interface SustainedSettings {
  /** Each step first offers its rate this long, not counted (BENCH_WARMUP_S). */
  warmupS: number;
  holdS: number;
  startRatePerSecond: number;
  /** Each step up offers this many percent more than the one before. */
  stepPercent: number;
  /** Steps up at most (the first included). */
  stepsMax: number;
  /** Steps down at most when the first step already fails. */
  stepsDownMax: number;
  /**
   * Steps between the highest rate held and the lowest that failed, each halving that gap, once a step up failed:
   * with steps of 50 %, the highest rate that holds may lie anywhere in the last step.
   */
  refineSteps: number;
  connections: number;
}

export interface SustainedStep {
  ratePerSecond: number;
  load: OpenLoopResult;
  /** Requests whose payment was final, with both events published, within the bound of their scheduled send. */
  settledWithinBound: number;
  /** Of the requests the step was to offer: those it never sent (it gave up early) count as not settled. */
  settledShare: number;
  /** Of the requests it sent: what tells a settling pipeline that is late from a step stopped by its creates. */
  settledShareOfSent: number;
  /** Scheduled send → both events arrived, of the payments that settled. */
  settleMs: { p50: number; p99: number; max: number };
  drain: Drain;
  holds: boolean;
  /** Why the step does not hold. */
  misses: string[];
  /** PostgreSQL checkpoints that ran from the step's start until its payments settled. */
  checkpointsDuring: number;
  cost: WorkCost;
}

export interface SustainedScenario {
  steps: SustainedStep[];
  /** The highest rate whose step held, or null when none did. */
  highestHeld: SustainedStep | null;
  /** False when a step left work the app could not settle before the deadline: what follows is disturbed. */
  drained: boolean;
}

function nextRate(rate: number, percent: number): number {
  return Math.max(rate + 1, Math.round((rate * (100 + percent)) / 100));
}

/**
 * When, in the hold, the creates slower than `slowerThanMs` were scheduled: a pause of the app or the machine puts
 * them all within a second; a rate the app cannot keep spreads them over the hold.
 */
function slowCreatesSpan(
  answers: readonly { scheduledAtMs: number; answeredAtMs: number }[],
  slowerThanMs: number,
): string | undefined {
  if (answers.length === 0) return undefined;
  const holdStartMs = answers.reduce((earliest, { scheduledAtMs }) => Math.min(earliest, scheduledAtMs), Infinity);
  const slow = answers
    .filter(({ scheduledAtMs, answeredAtMs }) => answeredAtMs - scheduledAtMs > slowerThanMs)
    .map(({ scheduledAtMs }) => (scheduledAtMs - holdStartMs) / 1000);
  if (slow.length === 0) return undefined;
  const first = slow.reduce((a, b) => Math.min(a, b));
  const last = slow.reduce((a, b) => Math.max(a, b));
  return (
    `the ${slow.length} answered creates over ${slowerThanMs} ms were scheduled from ${first.toFixed(1)} s to ` +
    `${last.toFixed(1)} s into the hold`
  );
}

async function measureStep(
  context: WriteContext,
  settings: SustainedSettings,
  ratePerSecond: number,
): Promise<SustainedStep> {
  const start = await waitUntilSettled(context);
  if (!start.drained) throw new Error('the app did not settle the previous work before a sustained step');
  await prepareDatabase(context);
  const countBefore = await paymentCount(context.database);
  const checkpointsBefore = await checkpointCount(context.database);
  const planned = Math.floor(ratePerSecond * settings.holdS);
  const lateAllowed = Math.floor(planned * (1 - sustainedBounds.settledShareMin));
  const answers: { scheduledAtMs: number; answeredAtMs: number; paymentId: string | undefined }[] = [];
  const notSettledInTime = (now: number) => {
    let late = 0;
    for (const { scheduledAtMs, paymentId } of answers) {
      if (paymentId === undefined) late += 1;
      else if ((context.watch.settledAtMs(paymentId) ?? now) - scheduledAtMs > sustainedBounds.settledWithinMs) {
        late += 1;
      }
    }
    return late;
  };
  const window = await WorkWindow.open(context.app, context);
  const load = await runOpenLoop({
    origin: context.httpServers.map((server) => `http://127.0.0.1:${server.port}`),
    path: '/v1/payments',
    method: 'POST',
    headers: { authorization: context.authorization },
    body: paymentBody(),
    perRequestHeaders: freshIdempotencyKey,
    ratePerSecond,
    warmupS: settings.warmupS,
    durationS: settings.holdS,
    connections: settings.connections,
    timeoutMs: openLoopTimeoutMs,
    onAnswer: ({ scheduledAtMs, status, body }) => {
      let paymentId: string | undefined;
      try {
        if (status === 202) paymentId = (JSON.parse(body) as { id?: string }).id;
      } catch {
        paymentId = undefined;
      }
      answers.push({ scheduledAtMs, answeredAtMs: performance.now(), paymentId });
    },
    // Once more than the allowed share is already late, the step cannot hold whatever follows: stop offering it.
    giveUp: ({ slowerThan }) => {
      const slow = slowerThan(sustainedBounds.createP99MsMax);
      if (slow > lateAllowed) return `${slow} creates over ${sustainedBounds.createP99MsMax} ms`;
      const late = notSettledInTime(performance.now());
      if (late > lateAllowed) return `${late} payments not settled within ${sustainedBounds.settledWithinMs} ms`;
      return undefined;
    },
  });
  // Every payment's time is known once it has settled or its bound has passed: wait for the later of the two.
  const lastScheduledAtMs = answers.reduce((latest, { scheduledAtMs }) => Math.max(latest, scheduledAtMs), 0);
  while (
    !context.interrupted() &&
    performance.now() < lastScheduledAtMs + sustainedBounds.settledWithinMs &&
    answers.some(({ paymentId }) => paymentId !== undefined && context.watch.settledAtMs(paymentId) === undefined)
  ) {
    await sleep(drainPollMs);
  }
  const drain = await waitUntilSettled(context);
  const checkpointsDuring = (await checkpointCount(context.database)) - checkpointsBefore;
  const payments = (await paymentCount(context.database)) - countBefore;
  const cost = await window.close(payments);

  const settleTimes: number[] = [];
  for (const { scheduledAtMs, paymentId } of answers) {
    const settledAtMs = paymentId === undefined ? undefined : context.watch.settledAtMs(paymentId);
    if (settledAtMs !== undefined) settleTimes.push(settledAtMs - scheduledAtMs);
  }
  settleTimes.sort((a, b) => a - b);
  const settledWithinBound = settleTimes.filter((ms) => ms <= sustainedBounds.settledWithinMs).length;
  // Of what the step was to offer: requests it never sent (it gave up) count as not settled.
  const settledShare = planned > 0 ? settledWithinBound / planned : 0;
  const settledShareOfSent = answers.length > 0 ? settledWithinBound / answers.length : 0;
  const quantile = (p: number) =>
    settleTimes.length === 0
      ? 0
      : Math.round(settleTimes[Math.min(settleTimes.length - 1, Math.ceil(p * settleTimes.length) - 1)]!);
  const misses: string[] = [];
  if (load.gaveUp) misses.push(`stopped after ${load.scheduled} of ${planned} requests: ${load.gaveUp}`);
  if (load.latencyMs.p99 > sustainedBounds.createP99MsMax) {
    misses.push(`create p99 ${load.latencyMs.p99} ms > ${sustainedBounds.createP99MsMax} ms`);
  }
  if (settledShare < sustainedBounds.settledShareMin) {
    misses.push(
      `${Math.round(settledShare * 1000) / 10}% settled within ${sustainedBounds.settledWithinMs} ms ` +
        `(< ${sustainedBounds.settledShareMin * 100}%; ${Math.round(settledShareOfSent * 1000) / 10}% of the ` +
        `${answers.length} sent)`,
    );
  }
  if (load.non2xx > 0 || load.errors > 0) misses.push(`${load.non2xx} non-2xx, ${load.errors} errors`);
  if (misses.length > 0) {
    const slowSpan = slowCreatesSpan(answers, sustainedBounds.createP99MsMax);
    if (slowSpan) misses.push(slowSpan);
  }
  if (!drain.drained) misses.push(`not settled ${drainDeadlineMs / 1000} s after the step`);
  if (misses.length > 0 && checkpointsDuring > 0) {
    misses.push(`a PostgreSQL checkpoint ran during the step (${checkpointsDuring})`);
  }
  return {
    ratePerSecond,
    load,
    settledWithinBound,
    settledShare: Math.round(settledShare * 10000) / 10000,
    settledShareOfSent: Math.round(settledShareOfSent * 10000) / 10000,
    settleMs: { p50: quantile(0.5), p99: quantile(0.99), max: Math.round(settleTimes.at(-1) ?? 0) },
    drain,
    holds: misses.length === 0,
    misses,
    checkpointsDuring,
    cost,
  };
}

/**
 * Steps the offered rate up from the start rate until a step fails; when the very first fails, steps down instead
 * until one holds (at most `stepsDownMax` times), so that the report has the rate that holds either way. Once a step
 * up failed, `refineSteps` more steps halve the gap between the highest rate held and the lowest that failed.
 */
export async function measureSustained(
  context: WriteContext,
  settings: SustainedSettings,
  log: (line: string) => void,
): Promise<SustainedScenario> {
  const steps: SustainedStep[] = [];
  const step = async (rate: number) => {
    log(`  ${rate}/s for ${settings.holdS} s…`);
    const result = await measureStep(context, settings, rate);
    log(
      `    ${result.holds ? 'holds' : 'fails'}: p99 ${result.load.latencyMs.p99} ms, ` +
        `${Math.round(result.settledShare * 1000) / 10}% settled within ${sustainedBounds.settledWithinMs} ms, ` +
        `${result.cost.microsecondsPerPayment.total} CPU-µs per payment` +
        (result.misses.length > 0 ? ` (${result.misses.join('; ')})` : ''),
    );
    steps.push(result);
    return result;
  };
  let rate = settings.startRatePerSecond;
  for (let index = 0; index < settings.stepsMax && !context.interrupted(); index += 1) {
    const result = await step(rate);
    if (!result.holds || !result.drain.drained) break;
    rate = nextRate(rate, settings.stepPercent);
  }
  if (steps.length === 1 && !steps[0]!.holds && steps[0]!.drain.drained) {
    rate = settings.startRatePerSecond;
    for (let index = 0; index < settings.stepsDownMax && !context.interrupted(); index += 1) {
      rate = Math.floor((rate * 100) / (100 + settings.stepPercent));
      if (rate < 1) break;
      const result = await step(rate);
      if (result.holds || !result.drain.drained) break;
    }
  }
  const failedUp = steps.length > 1 && !steps.at(-1)!.holds && steps.at(-1)!.drain.drained;
  if (failedUp) {
    let holds = steps.at(-2)!.ratePerSecond;
    let fails = steps.at(-1)!.ratePerSecond;
    for (let index = 0; index < settings.refineSteps && !context.interrupted(); index += 1) {
      const between = Math.round((holds + fails) / 2);
      if (between <= holds || between >= fails) break;
      const result = await step(between);
      if (!result.drain.drained) break;
      if (result.holds) holds = between;
      else fails = between;
    }
  }
  const held = steps.filter((candidate) => candidate.holds);
  return {
    steps,
    highestHeld: held.reduce<SustainedStep | null>(
      (best, candidate) => (best === null || candidate.ratePerSecond > best.ratePerSecond ? candidate : best),
      null,
    ),
    drained: steps.every((candidate) => candidate.drain.drained),
  };
}
