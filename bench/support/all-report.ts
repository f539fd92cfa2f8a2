/**
 * `npm run bench`'s result: the targets judged from the run's own ratios, the problems that make a measurement
 * invalid, and the Markdown report (bench.md), the chart's rows, and the README's excerpt (README-table.md).
 */
import type { ChartRow } from './chart';
import type { LoadSettings, RouteResult } from './measure';
import type { BenchEnvironment } from './report';
import { sustainedBounds, targets } from './targets';
import type { ProfileSummary } from './cpu-profile';
import type { ProfiledRun } from './profiled-pass';
import type { WorkCost } from './work-window';
import type { CreateScenario, DbCeiling, SustainedScenario, SustainedSettings, SustainedStep } from './write-scenarios';

export interface PhaseResult {
  /** `all`, `api + worker + relay` (split), or `2 api + 2 worker + relay` (scaled). */
  roles: string;
  create: CreateScenario;
  sustained: SustainedScenario;
}

export interface Scenarios {
  ceilingHttp: RouteResult;
  getCached: RouteResult;
  getCachedSpread: RouteResult;
  balance: RouteResult;
  ceilingDb: DbCeiling;
  /** The same pgbench script without its two pg_notify calls: for information. */
  ceilingDbNoNotify: DbCeiling;
  all: PhaseResult;
  /** One process each of `api`, `worker` and `relay`. */
  split?: PhaseResult;
  /**
   * `create` against the split phase's `api` process before its `worker` and `relay` start: the create path alone,
   * with nothing settling beside it (what role `all` shares its cores and event loop with).
   */
  createApiAlone?: RouteResult;
  /** Two `api` (the load spread over both) and two `worker` processes, one `relay` (`--processes`). */
  scaled?: PhaseResult;
  /** V8 profiles of a fresh app after the measured scenarios (BENCH_PROFILED_PASS): judged nothing. */
  profiled?: ProfiledRun[];
}

/** The write phases of a run, with the name each is shown under beside the scenario's (none for `all`). */
export function phasesOf(scenarios: Scenarios): { phase: PhaseResult; label: string | undefined }[] {
  return [
    { phase: scenarios.all, label: undefined },
    ...(scenarios.split ? [{ phase: scenarios.split, label: 'split' }] : []),
    ...(scenarios.scaled ? [{ phase: scenarios.scaled, label: 'scaled' }] : []),
  ];
}

export interface Memory {
  highestMegabytes: Record<string, number>;
  byScenario: Record<string, Record<string, number>>;
}

export interface TargetResult {
  target: string;
  measured: string;
  needed: string;
  pass: boolean;
  /** For a miss: what bounds it, read from the run's own numbers. */
  bound?: string;
}

export interface BenchResult {
  benchmark: 'all';
  date: string;
  /** The whole run, build to cleanup. */
  tookS: number;
  valid: boolean;
  problems: string[];
  notes: string[];
  targets: TargetResult[];
  settings: LoadSettings & {
    spreadPayments: number;
    splitRoles: boolean;
    /** `--processes` (BENCH_PROCESSES=1): the scaled phase ran. */
    processes: boolean;
    sustained: SustainedSettings;
  };
  environment: BenchEnvironment;
  sourceTree: { commit: string; uncommitted: string[] };
  memory: Memory;
  scenarios: Scenarios;
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const round2 = (value: number) => Math.round(value * 100) / 100;
const perSecond = (run: RouteResult) => Math.round(run.requests.perSecond.average);
const thousands = (value: number) => Math.round(value).toLocaleString('en-US');

/** The app's CPU during a closed-loop load, in % of one core, summed over its processes. */
function appPercent(run: RouteResult): number {
  return run.processCpu?.percentOfOneCore.app ?? run.cpuPercentOfOneCore.app;
}

/** What bounds a closed-loop run, from the CPU of its processes while it ran. */
function closedLoopBound(run: RouteResult, cores: number): string {
  const percents = run.processCpu?.percentOfOneCore;
  const total = percents?.total ?? run.cpuPercentOfOneCore.machine;
  const app = appPercent(run);
  if (percents && total >= cores * 100 * 0.9) {
    const [busiest, busiestPercent] = (['app', 'postgres', 'redis', 'rabbitmq', 'loadGenerator'] as const)
      .map((name) => [name, percents[name]] as const)
      .sort((a, b) => b[1] - a[1])[0]!;
    return (
      `CPU-bound: the processes used ${total}% of ${cores * 100}% (${busiest} the most, ${busiestPercent}%); ` +
      'moved by less CPU per payment (see the CPU per payment by process, the statements and the V8 profiles below)'
    );
  }
  if (app >= 90) {
    return (
      `the app's event loop: ${app}% of one core in the app process (one thread); moved by less app CPU per ` +
      'request (the V8 profiles below) or more app processes'
    );
  }
  return (
    `not CPU: ${total}% of ${cores * 100}% used, the app at ${app}% of one core; the requests wait (commits, ` +
    'locks, the connection pool): moved by fewer round trips and commits per payment (statements below)'
  );
}

/**
 * What the creates shared the machine with: the settlement of the payments they made ran in the same processes
 * (role all: the same event loop) all the while. How much of the machine settlement gets is the worker's
 * concurrency (PAYMENT_WORKER_CONCURRENCY): less settles in smaller, costlier batches and leaves more to the creates.
 */
function settlingAlongside(create: CreateScenario): string {
  const after = create.settledAfterLoadS === null ? 'not within the deadline' : `${create.settledAfterLoadS} s later`;
  return (
    `settlement ran alongside on the same cores (and, role all, the same event loop): ${thousands(create.unsettledAtLoadEnd)} ` +
    `of the ${thousands(create.payments)} payments were unsettled when the load ended, settled ${after}; ` +
    'PAYMENT_WORKER_CONCURRENCY trades create throughput for settlement lag'
  );
}

/**
 * The create throughput's bound when the run measured the create path alone (the split phase's api process before
 * its worker and relay started): how far the creates go with nothing settling beside them.
 */
function createPathAlone(alone: RouteResult, dbRate: number, cores: number): string {
  const rate = perSecond(alone);
  const ratio = dbRate > 0 ? round2(rate / dbRate) : 0;
  const cpu = alone.processCpu?.percentOfOneCore;
  return (
    `the create path alone (the api process, nothing settling) answered ${rate} req/s = ${ratio} × \`ceiling-db\`, ` +
    `p99 ${alone.latencyMs.p99} ms` +
    (cpu
      ? `, the app at ${cpu.app}% of one core (its event loop) and the machine at ${cpu.total}% of ${cores * 100}%`
      : '') +
    '; in role all it gets what settlement leaves of both'
  );
}

function cpuBound(cost: WorkCost, ceilingDb: DbCeiling): string {
  const [busiest, us] = (['app', 'postgres', 'redis', 'rabbitmq', 'loadGenerator'] as const)
    .map((name) => [name, cost.microsecondsPerPayment[name]] as const)
    .sort((a, b) => b[1] - a[1])[0]!;
  const byProcess = Object.entries(cost.appMicrosecondsPerPaymentByProcess)
    .map(([role, value]) => `${role} ${thousands(value)}`)
    .join(', ');
  return (
    `${busiest} takes the most, ${thousands(us)} CPU-µs per payment (app by process: ${byProcess}); ` +
    `${round1(cost.appQueries.total)} queries per payment from the app; PostgreSQL's ${thousands(cost.microsecondsPerPayment.postgres)} ` +
    `CPU-µs per payment (create, settlement, ledger, outbox) against ${thousands(ceilingDb.microsecondsPerPayment.postgres ?? 0)} for ` +
    "pgbench writing the create's rows alone, one transaction each: moved by fewer rows, index entries and statements " +
    'per payment and less app CPU per payment (see the statements and the V8 profiles below)'
  );
}

function sustainedBound(sustained: SustainedScenario): string {
  // The failing step just above the highest that held (or the lowest tried, when none held).
  const heldRate = sustained.highestHeld?.ratePerSecond ?? 0;
  const failed = sustained.steps
    .filter((step) => !step.holds && step.ratePerSecond > heldRate)
    .sort((a, b) => a.ratePerSecond - b.ratePerSecond)[0];
  if (!failed) return 'every step held: raise BENCH_SUSTAINED_STEPS to find where it fails';
  return `the step at ${failed.ratePerSecond}/s failed: ${failed.misses.join('; ')}`;
}

export function judgeTargets(
  scenarios: Scenarios,
  memory: Memory,
  cores: number,
  spreadPayments: number,
): TargetResult[] {
  const { ceilingHttp, ceilingDb, getCached, getCachedSpread, all } = scenarios;
  const dbRate = ceilingDb.pgbench.transactionsPerSecond;
  const createRate = perSecond(all.create.run);
  const createRatio = dbRate > 0 ? round2(createRate / dbRate) : 0;
  const held = all.sustained.highestHeld;
  const sustainedRatio = held && dbRate > 0 ? round2(held.ratePerSecond / dbRate) : 0;
  const cpu = all.create.cost.microsecondsPerPayment.total;
  const cachedRatio = (run: RouteResult) =>
    round2(run.requests.perSecond.average / ceilingHttp.requests.perSecond.average);
  const [rssProcess, rss] = Object.entries(memory.highestMegabytes).sort((a, b) => b[1] - a[1])[0] ?? ['app', 0];
  const rssScenario =
    Object.entries(memory.byScenario).find(([, processes]) => processes[rssProcess] === rss)?.[0] ?? '?';
  const results: TargetResult[] = [
    {
      target: '`create` throughput',
      measured: `${createRate} req/s = ${createRatio} × \`ceiling-db\` (${dbRate}/s)`,
      needed: `≥ ${targets.createToCeilingDbRatioMin} ×`,
      pass: createRatio >= targets.createToCeilingDbRatioMin,
      bound: `${scenarios.createApiAlone ? createPathAlone(scenarios.createApiAlone, dbRate, cores) : closedLoopBound(all.create.run, cores)}; ${settlingAlongside(all.create)}`,
    },
    {
      target: '`create` p99',
      measured: `${all.create.run.latencyMs.p99} ms`,
      needed: `≤ ${targets.createP99MsMax} ms`,
      pass: all.create.run.latencyMs.p99 <= targets.createP99MsMax,
      bound:
        `closed loop: ${all.create.run.latencyMs.p99} ms is about ${all.create.run.requests.perSecond.average > 0 ? round1((50 / all.create.run.requests.perSecond.average) * 1000) : '–'} ms ` +
        `mean (50 connections ÷ ${createRate} req/s) plus its spread: it moves with the throughput` +
        (scenarios.createApiAlone ? `; ${createPathAlone(scenarios.createApiAlone, dbRate, cores)}` : ' (above)'),
    },
    {
      target: '`create` non-2xx',
      measured: `${all.create.run.non2xx}`,
      needed: `${targets.createNon2xxMax}`,
      pass: all.create.run.non2xx <= targets.createNon2xxMax,
      bound: `status codes ${JSON.stringify(all.create.run.statusCodes)}`,
    },
    {
      target: 'CPU per payment, end to end',
      measured: `${thousands(cpu)} CPU-µs (\`create\`, first create → every payment settled, all processes)`,
      needed: `≤ ${thousands(targets.cpuMicrosecondsPerPaymentMax)} CPU-µs`,
      pass: cpu <= targets.cpuMicrosecondsPerPaymentMax,
      bound: cpuBound(all.create.cost, ceilingDb),
    },
    {
      target: '`sustained`',
      measured: held
        ? `${held.ratePerSecond}/s held = ${sustainedRatio} × \`ceiling-db\``
        : `no rate held (lowest tried ${Math.min(...all.sustained.steps.map((step) => step.ratePerSecond))}/s)`,
      needed: `≥ ${targets.sustainedToCeilingDbRatioMin} ×`,
      pass: sustainedRatio >= targets.sustainedToCeilingDbRatioMin,
      bound: sustainedBound(all.sustained),
    },
    {
      target: '`get-cached`, one payment',
      measured: `${perSecond(getCached)} req/s = ${cachedRatio(getCached)} × \`ceiling-http\``,
      needed: `≥ ${targets.cachedReadToCeilingHttpRatioMin} ×`,
      pass: cachedRatio(getCached) >= targets.cachedReadToCeilingHttpRatioMin,
      bound: `app CPU per request ${getCached.appCpuMicrosecondsPerRequest} µs vs ${ceilingHttp.appCpuMicrosecondsPerRequest} µs for the ceiling; ${closedLoopBound(getCached, cores)}`,
    },
    {
      target: `\`get-cached\`, ${thousands(spreadPayments)} payments`,
      measured: `${perSecond(getCachedSpread)} req/s = ${cachedRatio(getCachedSpread)} × \`ceiling-http\``,
      needed: `≥ ${targets.cachedReadToCeilingHttpRatioMin} ×`,
      pass: cachedRatio(getCachedSpread) >= targets.cachedReadToCeilingHttpRatioMin,
      bound:
        `app CPU per request ${getCachedSpread.appCpuMicrosecondsPerRequest} µs vs ${ceilingHttp.appCpuMicrosecondsPerRequest} µs for the ceiling ` +
        `and ${getCached.appCpuMicrosecondsPerRequest} µs for one payment, whose concurrent reads share one cache read (one key, ` +
        'single-flight: one Redis GET, one parse and one deadline for all of them) where each read here runs its own; ' +
        `${closedLoopBound(getCachedSpread, cores)}`,
    },
    {
      target: 'app RSS, throughout',
      measured: `${rss} MB at most (${rssProcess}, during ${rssScenario})`,
      needed: `≤ ${targets.appResidentMegabytesMax} MB`,
      pass: rss <= targets.appResidentMegabytesMax,
      bound:
        `the ${rssProcess} process has ${memory.byScenario[rssProcess === 'all' ? 'start' : 'start (split)']?.[rssProcess] ?? '?'} MB ` +
        `once started (the modules it loads, V8's initial heap) and grows under load to ${rss} MB (V8 grows its heap ` +
        'with the allocation rate; see the memory table): moved by allocating less per request, by bounding the ' +
        'heap (--max-semi-space-size, --max-old-space-size), or by a role that loads fewer modules',
    },
  ];
  return results.map(({ bound, ...result }) => (result.pass ? result : { ...result, ...(bound ? { bound } : {}) }));
}

/** What makes the measurement invalid (the run's numbers do not measure what they claim). */
export function problemsOf(scenarios: Scenarios, connections: number): string[] {
  const problems: string[] = [];
  const phases = phasesOf(scenarios).map(({ phase }) => phase);
  for (const run of [scenarios.ceilingHttp, scenarios.getCached, scenarios.getCachedSpread, scenarios.balance]) {
    if (run.errors > 0 || run.timeouts > 0 || run.non2xx > 0) {
      problems.push(`${run.route}: ${run.errors} errors, ${run.timeouts} timeouts, ${run.non2xx} non-2xx`);
    }
  }
  for (const db of [scenarios.ceilingDb, scenarios.ceilingDbNoNotify]) {
    if (db.pgbench.failed > 0) problems.push(`pgbench: ${db.pgbench.failed} failed transactions`);
    if (db.pgbench.transactions === 0) problems.push('pgbench: no transaction completed');
  }
  for (const { roles, create, sustained } of phases) {
    const run = create.run;
    if (run.errors > 0 || run.timeouts > 0) {
      problems.push(`create (${roles}): ${run.errors} errors, ${run.timeouts} timeouts`);
    }
    if (create.settledAfterLoadS === null) problems.push(`create (${roles}): the payments never all settled`);
    const other = Object.entries(create.finalTypes).filter(
      ([type, count]) => type !== 'payment.succeeded' && count > 0,
    );
    if (other.length > 0)
      problems.push(`create (${roles}): payments not succeeded: ${JSON.stringify(create.finalTypes)}`);
    // Requests in flight when autocannon stops create payments it does not count: at most one per connection.
    if (Math.abs(create.payments - run.requests.total) > run.requests.total * 0.01 + connections) {
      problems.push(`create (${roles}): ${create.payments} payments created, ${run.requests.total} answered`);
    }
    if (sustained.steps.length === 0) problems.push(`sustained (${roles}): no step ran`);
    if (!sustained.drained) problems.push(`sustained (${roles}): a step's payments never all settled`);
  }
  return problems;
}

function step(held: SustainedStep | null): string {
  return held ? `${held.ratePerSecond}/s` : 'none';
}

function latencyCells(latency: { p50: number; p90: number; p99: number; max: number }): string {
  return `${round1(latency.p50)} | ${round1(latency.p90)} | ${round1(latency.p99)} | ${round1(latency.max)}`;
}

interface ScenarioRow {
  scenario: string;
  /** The phase's name (`split`, `scaled`); none for the single process and pgbench. */
  label?: string;
  group: 'reads' | 'writes';
  roles: string;
  what: string;
  perSecond: number;
  latency: { p50: number; p90: number; p99: number; max: number } | undefined;
  failed: string;
  cpuPerPayment: string;
}

function scenarioRows(scenarios: Scenarios, spreadPayments: number): ScenarioRow[] {
  const route = (scenario: string, what: string, run: RouteResult): ScenarioRow => ({
    scenario,
    group: 'reads',
    roles: 'all',
    what,
    perSecond: perSecond(run),
    latency: run.latencyMs,
    failed: String(run.non2xx + run.errors + run.timeouts),
    cpuPerPayment: '',
  });
  const db = (scenario: string, what: string, ceiling: DbCeiling): ScenarioRow => ({
    scenario,
    group: 'writes',
    roles: '–',
    what,
    perSecond: ceiling.pgbench.transactionsPerSecond,
    latency: ceiling.pgbench.latencyMs,
    failed: String(ceiling.pgbench.failed),
    cpuPerPayment: thousands(ceiling.microsecondsPerPayment.total!),
  });
  const phaseRows = ({ roles, create, sustained }: PhaseResult, label?: string): ScenarioRow[] => {
    const held = sustained.highestHeld;
    return [
      {
        scenario: 'create',
        label,
        group: 'writes',
        roles,
        what: '`POST /v1/payments`, autocannon closed loop',
        perSecond: perSecond(create.run),
        latency: create.run.latencyMs,
        failed: String(create.run.non2xx + create.run.errors + create.run.timeouts),
        cpuPerPayment: thousands(create.cost.microsecondsPerPayment.total),
      },
      {
        scenario: 'sustained',
        label,
        group: 'writes',
        roles,
        what: held
          ? `open loop: highest rate held, ${held.ratePerSecond}/s offered for ${held.load.durationS} s`
          : `open loop: no rate held (${sustained.steps.map((s) => `${s.ratePerSecond}/s`).join(', ')} failed)`,
        perSecond: held ? held.load.answeredPerSecond : 0,
        latency: held?.load.latencyMs,
        failed: held ? String(held.load.non2xx + held.load.errors) : '–',
        cpuPerPayment: held ? thousands(held.cost.microsecondsPerPayment.total) : '–',
      },
    ];
  };
  return [
    route('ceiling-http', '`GET /health/live`, autocannon', scenarios.ceilingHttp),
    db('ceiling-db', "pgbench, one payment's rows per transaction", scenarios.ceilingDb),
    db('ceiling-db, no NOTIFY', 'the same without the 2 `pg_notify`', scenarios.ceilingDbNoNotify),
    ...phaseRows(scenarios.all),
    route('get-cached', '`GET /v1/payments/:id`, one payment', scenarios.getCached),
    route(
      `get-cached, ${thousands(spreadPayments)}`,
      `\`GET /v1/payments/:id\`, ${thousands(spreadPayments)} payments at random`,
      scenarios.getCachedSpread,
    ),
    route('balance', '`GET /v1/balance`', scenarios.balance),
    ...(scenarios.createApiAlone
      ? [
          {
            scenario: 'create, api alone',
            label: 'split',
            group: 'writes' as const,
            roles: 'api',
            what: '`POST /v1/payments`, autocannon closed loop, before the worker and relay start (nothing settles)',
            perSecond: perSecond(scenarios.createApiAlone),
            latency: scenarios.createApiAlone.latencyMs,
            failed: String(
              scenarios.createApiAlone.non2xx + scenarios.createApiAlone.errors + scenarios.createApiAlone.timeouts,
            ),
            cpuPerPayment: '',
          },
        ]
      : []),
    ...(scenarios.split ? phaseRows(scenarios.split, 'split') : []),
    ...(scenarios.scaled ? phaseRows(scenarios.scaled, 'scaled') : []),
  ];
}

export function chartRows(scenarios: Scenarios, spreadPayments: number): ChartRow[] {
  return scenarioRows(scenarios, spreadPayments)
    .filter((row) => row.latency !== undefined)
    .map((row) => ({
      scenario: row.label ? `${row.scenario} (${row.label})` : row.scenario,
      roles: row.roles === '–' ? 'pgbench' : row.roles,
      group: row.group,
      throughput: row.perSecond,
      p99Ms: round1(row.latency!.p99),
    }));
}

function scenarioTable(scenarios: Scenarios, spreadPayments: number): string[] {
  return [
    '| scenario | app processes | what | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx / failed | CPU-µs per payment |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...scenarioRows(scenarios, spreadPayments).map(
      (row) =>
        `| ${row.scenario} | ${row.roles} | ${row.what} | ${row.perSecond} | ` +
        `${row.latency ? latencyCells(row.latency) : '– | – | – | –'} | ${row.failed} | ${row.cpuPerPayment} |`,
    ),
  ];
}

/**
 * `--processes`: create and sustained with the app as one process, as one process per role, and with two `api`
 * and two `worker` processes, side by side; the last column compares each with one `api` and one `worker`.
 */
function processesTable(scenarios: Scenarios): string[] {
  const { split, scaled } = scenarios;
  if (!scaled) return [];
  const splitRate = split ? perSecond(split.create.run) : 0;
  const splitHeld = split?.sustained.highestHeld?.ratePerSecond ?? 0;
  const ratio = (value: number, base: number) => (base > 0 ? `${round2(value / base)} ×` : '–');
  return [
    '| app processes | `create` req/s | p99 ms | CPU-µs per payment | `sustained`: highest rate held | p99 ms | CPU-µs per payment | vs 1 `api` + 1 `worker` (create, sustained) |',
    '|---|---|---|---|---|---|---|---|',
    ...phasesOf(scenarios).map(({ phase, label }) => {
      const held = phase.sustained.highestHeld;
      const rate = perSecond(phase.create.run);
      return (
        `| ${phase.roles}${label ? ` (${label})` : ''} | ${rate} | ${round1(phase.create.run.latencyMs.p99)} | ` +
        `${thousands(phase.create.cost.microsecondsPerPayment.total)} | ${held ? `${held.ratePerSecond}/s` : 'none'} | ` +
        `${held ? round1(held.load.latencyMs.p99) : '–'} | ${held ? thousands(held.cost.microsecondsPerPayment.total) : '–'} | ` +
        `${ratio(rate, splitRate)}, ${ratio(held?.ratePerSecond ?? 0, splitHeld)} |`
      );
    }),
  ];
}

function targetTable(results: readonly TargetResult[]): string[] {
  return [
    '| target | measured (same run) | needed | result |',
    '|---|---|---|---|',
    ...results.map(
      (result) => `| ${result.target} | ${result.measured} | ${result.needed} | ${result.pass ? 'pass' : '**MISS**'} |`,
    ),
  ];
}

const services = ['app', 'postgres', 'redis', 'rabbitmq', 'loadGenerator', 'total'] as const;

/**
 * One run's CPU in % of one core by service; with several app processes, the app's cell gives each one's share
 * beside their sum.
 */
function cpuPercentRow(
  name: string,
  percents: Record<string, number> | undefined,
  detail?: { appByProcess: Record<string, number>; elapsedS: number },
  durationS = detail?.elapsedS ?? 0,
): string {
  const byProcess = Object.entries(detail?.appByProcess ?? {});
  const cell = (service: (typeof services)[number]) => {
    const value = percents?.[service] ?? '–';
    if (service !== 'app' || byProcess.length < 2 || durationS <= 0) return value;
    const share = (us: number) => round1((us / (durationS * 1e6)) * 100);
    return `${value} (${byProcess.map(([role, us]) => `${role} ${share(us)}`).join(', ')})`;
  };
  return `| ${name} | ${services.map(cell).join(' | ')} |`;
}

function costRow(name: string, cost: WorkCost): string {
  const byProcess = Object.entries(cost.appMicrosecondsPerPaymentByProcess);
  const app =
    byProcess.length > 1
      ? `${thousands(cost.microsecondsPerPayment.app)} (${byProcess.map(([role, us]) => `${role} ${thousands(us)}`).join(', ')})`
      : thousands(cost.microsecondsPerPayment.app);
  return `| ${name} | ${cost.payments} | ${app} | ${services
    .slice(1)
    .map((service) => thousands(cost.microsecondsPerPayment[service]))
    .join(' | ')} |`;
}

/** CPU-µs per request of the load alone (while autocannon ran), all services. */
function loadOnlyRow(name: string, run: RouteResult): string {
  const detail = run.processCpu?.detail;
  if (!detail) return `| ${name} | – |`;
  const per = (us: number) => thousands(us / Math.max(1, run.requests.total));
  const total = Object.values(detail.microseconds).reduce((sum, us) => sum + us, 0);
  const byProcess = Object.entries(detail.appByProcess);
  const app =
    byProcess.length > 1
      ? `${per(detail.microseconds.app)} (${byProcess.map(([role, us]) => `${role} ${per(us)}`).join(', ')})`
      : per(detail.microseconds.app);
  return `| ${name} | ${run.requests.total} | ${app} | ${per(detail.microseconds.postgres)} | ${per(detail.microseconds.redis)} | ${per(detail.microseconds.rabbitmq)} | ${per(detail.microseconds.loadGenerator)} | ${per(total)} |`;
}

function sustainedTable(phase: PhaseResult): string[] {
  return [
    `### \`sustained\`, app processes: ${phase.roles}`,
    '',
    `| offered/s | sent | 2xx/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors | settled ≤ ${sustainedBounds.settledWithinMs / 1000} s: of planned / of sent | settle p50 / p99 ms | send lag p99 ms | in flight max | CPU-µs per payment | holds |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...phase.sustained.steps.map(
      (s) =>
        `| ${s.ratePerSecond} | ${s.load.scheduled} | ${s.load.answeredPerSecond} | ${latencyCells(s.load.latencyMs)} | ` +
        `${s.load.non2xx} | ${s.load.errors} | ${round1(s.settledShare * 100)}% / ${round1(s.settledShareOfSent * 100)}% | ${s.settleMs.p50} / ${s.settleMs.p99} | ` +
        `${s.load.sendLagMs.p99} | ${s.load.inFlightMax} | ${thousands(s.cost.microsecondsPerPayment.total)} | ` +
        `${s.holds ? 'yes' : `no: ${s.misses.join('; ')}`} |`,
    ),
    '',
  ];
}

function costDetail(name: string, cost: WorkCost): string[] {
  const lines = [`### ${name}: where the CPU goes (${cost.payments} payments)`, ''];
  lines.push(
    'Redis, per payment (`INFO commandstats` deltas: every client of the server):',
    '',
    '| command | calls | µs |',
    '|---|---|---|',
    ...cost.redisCommands.map(({ command, calls, microseconds }) => `| ${command} | ${calls} | ${microseconds} |`),
    '',
  );
  if ('unavailable' in cost.postgresStatements) {
    lines.push(`PostgreSQL: ${cost.postgresStatements.unavailable}. The queries the app sent instead:`, '');
  } else {
    lines.push(
      'PostgreSQL, per payment (pg_stat_statements, by execution time):',
      '',
      '| calls | µs | statement |',
      '|---|---|---|',
      ...cost.postgresStatements.map(
        ({ query, calls, microseconds }) => `| ${calls} | ${microseconds} | \`${query}\` |`,
      ),
      '',
      'The queries the app sent:',
      '',
    );
  }
  lines.push(
    `${cost.appQueries.total} queries per payment in all (counted in the app's processes):`,
    '',
    '| per payment | statement (first 120 characters) |',
    '|---|---|',
    ...cost.appQueries.byStatement.map(
      ({ statement, perPayment }) => `| ${perPayment} | \`${statement.replaceAll('|', '\\|')}\` |`,
    ),
    '',
  );
  lines.push(
    'unavailable' in cost.rabbitmq
      ? `RabbitMQ: ${cost.rabbitmq.unavailable}; its CPU per payment is in the table above.`
      : `RabbitMQ per payment: ${cost.rabbitmq.publish} published, ${cost.rabbitmq.confirm} confirmed, ` +
          `${cost.rabbitmq.deliverGet} delivered, ${cost.rabbitmq.ack} acknowledged.`,
    '',
  );
  for (const profile of cost.profiles ?? []) {
    lines.push(...profileLines(`V8 profile of the app process \`${profile.process}\` (\`${profile.file}\`)`, profile));
  }
  return lines;
}

/** A V8 profile's summary: self time by source, then the top functions. */
function profileLines(title: string, profile: ProfileSummary): string[] {
  return [
    `${title}: ${profile.busyMs} ms busy, ${profile.idleMs} ms idle. Self time by source:`,
    '',
    '| source | self ms | % of busy |',
    '|---|---|---|',
    ...profile.bySource.map(({ source, selfMs, percent }) => `| ${source} | ${selfMs} | ${percent} |`),
    '',
    'Top functions by self time:',
    '',
    '| function | where | self ms | % of busy |',
    '|---|---|---|---|',
    ...profile.topFunctions.map(
      ({ name: fn, where, selfMs, percent }) => `| \`${fn}\` | ${where} | ${selfMs} | ${percent} |`,
    ),
    '',
  ];
}

/** The profiled pass: where the app's time went in the scenarios the targets judge. */
function profiledPassLines(runs: readonly ProfiledRun[] | undefined): string[] {
  if (!runs || runs.length === 0) return [];
  return [
    "## Where the app's time goes: V8 profiles (profiled pass)",
    '',
    "After the measured scenarios, a fresh app (role `all`) ran each of these again for a few seconds under V8's " +
      'sampling profiler (BENCH_PROFILED_PASS=0 leaves it out). The profiler costs the app CPU, so this pass judges ' +
      'nothing: it shows where the app\'s time goes in the scenarios the targets judge. "busy" is the time the ' +
      'event loop was not waiting; a sample taken while the process waited for a core (two cores shared with ' +
      'PostgreSQL, Redis and RabbitMQ) counts where it stood, often a socket write.',
    '',
    ...runs.flatMap((run) =>
      profileLines(
        `### \`${run.scenario}\`, ${run.requestsPerSecond} req/s while profiled\n\nOver ${run.window}`,
        run.profile,
      ),
    ),
  ];
}

function machineLine(environment: BenchEnvironment): string {
  return (
    `Machine: ${environment.cores} cores (${environment.cpuModel}), ${environment.memoryGiB} GiB; Node ` +
    `${environment.node} on ${environment.platform}/${environment.arch}; 1-minute load average ` +
    `${environment.loadAverage1m.atStart} at start, ${environment.loadAverage1m.atEnd} at the end. ` +
    `${environment.topology}.`
  );
}

export function formatMarkdown(result: BenchResult, chartFile: string): string {
  const { scenarios, settings } = result;
  const phases = phasesOf(scenarios).map(({ phase }) => phase);
  const misses = result.targets.filter((target) => !target.pass);
  const memoryNames = [...new Set(Object.values(result.memory.byScenario).flatMap((byName) => Object.keys(byName)))];
  return [
    '# Benchmark (issue 13)',
    '',
    `Measured ${result.date} by \`npm run bench\` (bench/all.bench.ts, ${Math.round(result.tookS / 60)} minutes), ` +
      `source at ${result.sourceTree.commit}` +
      (result.sourceTree.uncommitted.length > 0
        ? ` plus uncommitted changes in src/ (${result.sourceTree.uncommitted.join('; ')})`
        : '') +
      '.',
    '',
    machineLine(result.environment),
    '',
    `**${result.valid ? 'VALID' : 'INVALID MEASUREMENT'}**${result.problems.map((p) => `\n- problem: ${p}`).join('')}`,
    '',
    '## Targets',
    '',
    ...targetTable(result.targets),
    '',
    ...(misses.length > 0
      ? [
          'What bounds each miss, read from this run (details below):',
          '',
          ...misses.map((target) => `- ${target.target}: ${target.bound ?? '–'}`),
          '',
        ]
      : []),
    '## Scenarios',
    '',
    ...scenarioTable(scenarios, settings.spreadPayments),
    '',
    `![Throughput and p99 per scenario](${chartFile})`,
    '',
    `${settings.connections} connections / pgbench clients; ${settings.warmupS} s warm-up then ` +
      `${settings.durationS} s measured per closed-loop scenario. Latencies: autocannon's (1 ms resolution, 2xx only); ` +
      "pgbench's per-transaction log; `sustained`'s own driver (from each request's scheduled send time, every " +
      'answer). `create` CPU-µs per payment: every process, from the first measured create until every payment ' +
      `created was final with both its events received; \`sustained\`: the same over the step's hold and its drain.`,
    '',
    ...(scenarios.scaled
      ? [
          '## Processes',
          '',
          'The same writes with more app processes on this machine (`--processes`): the `api` processes share the ' +
            "load in turn (autocannon's connections, the open-loop driver's requests), as behind a load balancer.",
          '',
          ...processesTable(scenarios),
          '',
        ]
      : []),
    '## CPU by process during each run (% of one core, /proc utime + stime)',
    '',
    `| scenario | ${services.join(' | ')} |`,
    `|---|${services.map(() => '---').join('|')}|`,
    cpuPercentRow('ceiling-http', scenarios.ceilingHttp.processCpu?.percentOfOneCore),
    cpuPercentRow('ceiling-db (loadGenerator = pgbench)', scenarios.ceilingDb.percentOfOneCore),
    cpuPercentRow('ceiling-db, no NOTIFY', scenarios.ceilingDbNoNotify.percentOfOneCore),
    cpuPercentRow('get-cached', scenarios.getCached.processCpu?.percentOfOneCore),
    cpuPercentRow(
      `get-cached, ${thousands(settings.spreadPayments)}`,
      scenarios.getCachedSpread.processCpu?.percentOfOneCore,
    ),
    cpuPercentRow('balance', scenarios.balance.processCpu?.percentOfOneCore),
    ...(scenarios.createApiAlone
      ? [
          cpuPercentRow(
            'create, api alone (nothing settles), load only',
            scenarios.createApiAlone.processCpu?.percentOfOneCore,
            scenarios.createApiAlone.processCpu?.detail,
            scenarios.createApiAlone.durationS,
          ),
        ]
      : []),
    ...phases.flatMap(({ roles, create, sustained }) => [
      cpuPercentRow(
        `create (${roles}), load only`,
        create.run.processCpu?.percentOfOneCore,
        create.run.processCpu?.detail,
        create.run.durationS,
      ),
      cpuPercentRow(
        `create (${roles}), first create → settled (${create.cost.elapsedS} s)`,
        create.cost.percentOfOneCore,
        create.cost.cpu,
      ),
      ...(sustained.highestHeld
        ? [
            cpuPercentRow(
              `sustained (${roles}) at ${step(sustained.highestHeld)}, hold → settled (${sustained.highestHeld.cost.elapsedS} s)`,
              sustained.highestHeld.cost.percentOfOneCore,
              sustained.highestHeld.cost.cpu,
            ),
          ]
        : []),
    ]),
    '',
    '## CPU-µs per payment by process',
    '',
    '| window | payments | app | postgres | redis | rabbitmq | loadGenerator | total |',
    '|---|---|---|---|---|---|---|---|',
    ...phases.flatMap(({ roles, create, sustained }) => [
      loadOnlyRow(`create (${roles}): while the load ran, per answered request`, create.run),
      costRow(`create (${roles}): first create → every payment settled`, create.cost),
      ...(sustained.highestHeld
        ? [costRow(`sustained (${roles}) at ${step(sustained.highestHeld)}`, sustained.highestHeld.cost)]
        : []),
    ]),
    `| ceiling-db (pgbench) | ${scenarios.ceilingDb.pgbench.transactions} | ${services.map((s) => thousands(scenarios.ceilingDb.microsecondsPerPayment[s]!)).join(' | ')} |`,
    '',
    ...phases.map(
      ({ roles, create }) =>
        `Settlement (${roles}): ${create.unsettledAtLoadEnd} payments not yet settled when the \`create\` load ended; ` +
        `all settled ${create.settledAfterLoadS === null ? '(never)' : `${create.settledAfterLoadS} s`} after it ` +
        `(${create.settledPerSecond ?? '–'} payments/s settled over the load and the drain).`,
    ),
    '',
    '## Sustained steps',
    '',
    `A step holds while the create p99 (from each request's scheduled send) is at most ` +
      `${sustainedBounds.createP99MsMax} ms and at least ${sustainedBounds.settledShareMin * 100}% of the requests it ` +
      `scheduled have their payment final, with \`payment.processing\` and the final event both received on the ` +
      `benchmark's own queue, within ${sustainedBounds.settledWithinMs} ms of their scheduled send; with no non-2xx ` +
      'and no error. A step stops early once more than the allowed share is already late (it cannot hold any more). ' +
      `Steps start at ${settings.sustained.startRatePerSecond}/s, ${settings.sustained.stepPercent}% more each; once ` +
      `one fails, up to ${settings.sustained.refineSteps} more halve the gap between the highest rate held and the ` +
      `lowest failed; ${settings.sustained.holdS} s measured each after ${settings.sustained.warmupS} s at the same rate not counted, ` +
      'the app settled before each.',
    '',
    ...phases.flatMap(sustainedTable),
    '## Where the CPU goes',
    '',
    ...phases.flatMap(({ roles, create, sustained }) => [
      ...costDetail(`create (${roles})`, create.cost),
      ...(sustained.highestHeld
        ? costDetail(`sustained (${roles}) at ${step(sustained.highestHeld)}`, sustained.highestHeld.cost)
        : []),
    ]),
    ...profiledPassLines(scenarios.profiled),
    '## pgbench: average latency per statement of the payment script (ms)',
    '',
    '| with NOTIFY | without | statement |',
    '|---|---|---|',
    ...scenarios.ceilingDb.pgbench.statementLatencyMs.map(({ statement, averageMs }) => {
      const without = scenarios.ceilingDbNoNotify.pgbench.statementLatencyMs.find(
        (entry) => entry.statement === statement,
      );
      return `| ${averageMs} | ${without?.averageMs ?? '–'} | \`${statement}\` |`;
    }),
    '',
    '## App memory (highest RSS, MB)',
    '',
    `| scenario | ${memoryNames.join(' | ')} |`,
    `|---|${memoryNames.map(() => '---').join('|')}|`,
    ...Object.entries(result.memory.byScenario).map(
      ([scenario, byName]) => `| ${scenario} | ${memoryNames.map((name) => byName[name] ?? '–').join(' | ')} |`,
    ),
    '',
    '## Notes',
    '',
    ...result.notes.map((note) => `- ${note}`),
    '',
  ].join('\n');
}

/** The README's excerpt: the targets, the scenarios and the chart, paths relative to the repository's root. */
export function readmeExcerpt(result: BenchResult, chartPath: string, reportPath: string): string {
  return [
    `Last full run: ${result.date}, source at ${result.sourceTree.commit}; ${machineLine(result.environment)} ` +
      `Full report: [\`${reportPath}\`](${reportPath}).`,
    '',
    ...targetTable(result.targets),
    '',
    ...scenarioTable(result.scenarios, result.settings.spreadPayments),
    '',
    ...(result.scenarios.scaled ? [...processesTable(result.scenarios), ''] : []),
    `![Throughput and p99 per scenario](${chartPath})`,
    '',
  ].join('\n');
}
