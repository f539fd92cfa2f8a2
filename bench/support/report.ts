import os from 'node:os';
import type { LoadSettings, RouteResult } from './measure';

/** Issue 5: the cached read reaches at least 0.75× the ceiling's requests/s, with p99 under 10 ms. */
export const target = { minRatio: 0.75, maxP99Ms: 10 } as const;
/** Other processes (or the hypervisor) taking more than this much of a core during a run disturb the measurement. */
const disturbedCpuPercent = 25;

export interface RoundResult {
  ceiling: RouteResult;
  cachedRead: RouteResult;
  /** cachedRead / ceiling, requests per second (autocannon's per-second average). */
  ratio: number;
  /** The same cached read through a Nest interceptor doing what @CachedRead does (support/seam-routes.module.ts). */
  interceptedRead: RouteResult;
  /** interceptedRead / ceiling. */
  interceptedRatio: number;
  /** The same read through @nestjs/cache-manager's CacheInterceptor: other semantics, for information. */
  stockRead: RouteResult;
  /** stockRead / ceiling. */
  stockRatio: number;
  /** The cached read spread over many payments, one picked at random per request: for information. */
  spreadRead: RouteResult;
  /** spreadRead / ceiling. */
  spreadRatio: number;
}

export interface RouteHeadline {
  route: string;
  requestsPerSecond: number;
  appCpuMicrosecondsPerRequest: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
}

/** The routes of one round, in the order they are measured. */
export type RoundRuns = Pick<RoundResult, 'ceiling' | 'cachedRead' | 'interceptedRead' | 'stockRead' | 'spreadRead'>;

/** The route names of the report, per run of a round. */
export type RouteNames = { [run in keyof RoundRuns]: string };

/** A seam beside the decorator: its headline, ratio to the ceiling and the app CPU it costs more per request. */
export interface SeamComparison {
  headline: RouteHeadline;
  ratio: number;
  /** Median over the rounds of (this seam − @CachedRead) app CPU µs per request, both measured in the same round. */
  appCpuMicrosecondsMoreThanDecorator: number;
  /** The same difference per round, in round order. */
  appCpuMicrosecondsMoreThanDecoratorPerRound: number[];
}

export interface BenchEnvironment {
  node: string;
  platform: string;
  arch: string;
  cores: number;
  cpuModel: string;
  memoryGiB: number;
  loadAverage1m: { atStart: number; atEnd: number };
  topology: string;
}

export interface BenchResult {
  benchmark: 'cached-read';
  date: string;
  target: { route: string; ceilingRoute: string; minRatio: number; maxP99Ms: number };
  verdict: {
    ratio: number;
    ratioPass: boolean;
    p99Ms: number;
    p99Pass: boolean;
    pass: boolean;
    /** False when a run had errors, timeouts or non-2xx responses: its numbers do not measure the route. */
    valid: boolean;
    problems: string[];
    notes: string[];
  };
  /** Medians over the rounds (with one round, its numbers). */
  summary: {
    ceiling: RouteHeadline;
    cachedRead: RouteHeadline;
    ratio: number;
    spreadRead: RouteHeadline;
    spreadRatio: number;
    /** Issue 12: the same cached read through the decorator, a Nest interceptor, and the stock CacheInterceptor. */
    seam: { interceptor: SeamComparison; stockCacheInterceptor: SeamComparison };
  };
  settings: LoadSettings & { rounds: number; pipelining: 1; order: string };
  environment: BenchEnvironment;
  rounds: RoundResult[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return Math.round(value * 1000) / 1000;
}

export function roundResult(runs: RoundRuns): RoundResult {
  const { ceiling, cachedRead, interceptedRead, stockRead, spreadRead } = runs;
  const ratioTo = (run: RouteResult) =>
    Math.round((run.requests.perSecond.average / ceiling.requests.perSecond.average) * 1000) / 1000;
  return {
    ceiling,
    cachedRead,
    ratio: ratioTo(cachedRead),
    interceptedRead,
    interceptedRatio: ratioTo(interceptedRead),
    stockRead,
    stockRatio: ratioTo(stockRead),
    spreadRead,
    spreadRatio: ratioTo(spreadRead),
  };
}

function runsOf(rounds: readonly RoundResult[]): RouteResult[] {
  return rounds.flatMap(({ ceiling, cachedRead, interceptedRead, stockRead, spreadRead }) => [
    ceiling,
    cachedRead,
    interceptedRead,
    stockRead,
    spreadRead,
  ]);
}

/**
 * A seam against the decorator. The CPU difference is taken within each round (the two runs a few seconds apart,
 * under the same load from the rest of the machine), then the median of those, rather than the difference of
 * medians: on this shared machine the absolute figures move from round to round much more than the difference.
 */
function seamComparison(
  rounds: readonly RoundResult[],
  pick: (round: RoundResult) => RouteResult,
  ratioOf: (round: RoundResult) => number,
  route: string,
): SeamComparison {
  const perRound = rounds.map(
    (round) =>
      Math.round((pick(round).appCpuMicrosecondsPerRequest - round.cachedRead.appCpuMicrosecondsPerRequest) * 10) / 10,
  );
  return {
    headline: headline(rounds.map(pick), route),
    ratio: median(rounds.map(ratioOf)),
    appCpuMicrosecondsMoreThanDecorator: median(perRound),
    appCpuMicrosecondsMoreThanDecoratorPerRound: perRound,
  };
}

function headline(runs: readonly RouteResult[], route: string): RouteHeadline {
  const of = (pick: (run: RouteResult) => number) => median(runs.map(pick));
  return {
    route,
    requestsPerSecond: Math.round(of((run) => run.requests.perSecond.average)),
    appCpuMicrosecondsPerRequest: of((run) => run.appCpuMicrosecondsPerRequest),
    latencyMs: {
      p50: of((run) => run.latencyMs.p50),
      p90: of((run) => run.latencyMs.p90),
      p99: of((run) => run.latencyMs.p99),
      max: of((run) => run.latencyMs.max),
    },
  };
}

function judge(
  rounds: readonly RoundResult[],
  summary: BenchResult['summary'],
  connections: number,
): BenchResult['verdict'] {
  const { ratio } = summary;
  const p99Ms = summary.cachedRead.latencyMs.p99;
  const problems: string[] = [];
  const notes: string[] = [];
  for (const run of runsOf(rounds)) {
    if (run.errors > 0 || run.timeouts > 0)
      problems.push(`${run.route}: ${run.errors} errors, ${run.timeouts} timeouts`);
    if (run.non2xx > 0)
      problems.push(`${run.route}: ${run.non2xx} non-2xx responses ${JSON.stringify(run.statusCodes)}`);
  }
  const misses = rounds.reduce((sum, { cachedRead }) => sum + cachedRead.cache.payment.misses, 0);
  if (misses > 0) notes.push(`${misses} payment cache misses during the measured cached reads (expired or evicted)`);
  const { spreadRead, spreadRatio } = summary;
  notes.push(
    `for information, not judged: ${spreadRead.route}, each request a payment picked at random, reaches ratio ` +
      `${spreadRatio} with p99 ${spreadRead.latencyMs.p99} ms. There every read is a cache read of its own on ` +
      'Redis; when all connections read one payment, reads arriving together share one Redis read',
  );
  const ceilingP99 = summary.ceiling.latencyMs.p99;
  if (ceilingP99 >= target.maxP99Ms) {
    const meanMs = Math.round((connections / summary.ceiling.requestsPerSecond) * 1000 * 10) / 10;
    notes.push(
      `the ceiling route itself has p99 ${ceilingP99} ms: each of the ${connections} connections waits for its ` +
        `answer before sending again, so the mean latency is ${connections} ÷ ${summary.ceiling.requestsPerSecond} ` +
        `req/s = ${meanMs} ms: p99 < ${target.maxP99Ms} ms is beyond what this machine gives even the trivial route`,
    );
  }
  const otherCpu = Math.max(...runsOf(rounds).map((run) => run.cpuPercentOfOneCore.other));
  if (otherCpu > disturbedCpuPercent) {
    notes.push(
      `other processes (neither the app, autocannon nor Redis) used up to ${otherCpu}% of a core during a run: ` +
        'the machine was not quiet, rerun on an idle machine for stable numbers',
    );
  }
  const steal = Math.max(...runsOf(rounds).map((run) => run.cpuPercentOfOneCore.steal ?? 0));
  if (steal > disturbedCpuPercent) {
    notes.push(`the hypervisor took up to ${steal}% of a core from this VM during a run: the numbers are disturbed`);
  }
  const ratioPass = ratio >= target.minRatio;
  const p99Pass = p99Ms < target.maxP99Ms;
  return {
    ratio,
    ratioPass,
    p99Ms,
    p99Pass,
    pass: ratioPass && p99Pass,
    valid: problems.length === 0,
    problems,
    notes,
  };
}

export function buildResult(
  rounds: readonly RoundResult[],
  settings: LoadSettings,
  environment: BenchEnvironment,
  routes: RouteNames,
): BenchResult {
  const summary = {
    ceiling: headline(
      rounds.map((round) => round.ceiling),
      routes.ceiling,
    ),
    cachedRead: headline(
      rounds.map((round) => round.cachedRead),
      routes.cachedRead,
    ),
    ratio: median(rounds.map((round) => round.ratio)),
    spreadRead: headline(
      rounds.map((round) => round.spreadRead),
      routes.spreadRead,
    ),
    spreadRatio: median(rounds.map((round) => round.spreadRatio)),
    seam: {
      interceptor: seamComparison(
        rounds,
        (round) => round.interceptedRead,
        (round) => round.interceptedRatio,
        routes.interceptedRead,
      ),
      stockCacheInterceptor: seamComparison(
        rounds,
        (round) => round.stockRead,
        (round) => round.stockRatio,
        routes.stockRead,
      ),
    },
  };
  return {
    benchmark: 'cached-read',
    date: new Date().toISOString(),
    target: { route: routes.cachedRead, ceilingRoute: routes.ceiling, ...target },
    verdict: judge(rounds, summary, settings.connections),
    summary,
    settings: {
      ...settings,
      rounds: rounds.length,
      pipelining: 1,
      order:
        'per round: ceiling, then cached read (@CachedRead), then the same read through a Nest interceptor, then ' +
        "through @nestjs/cache-manager's CacheInterceptor, then spread cached read; each warmed up, then measured",
    },
    environment,
    rounds: [...rounds],
  };
}

export function machineDescription(loadAverage1m: BenchEnvironment['loadAverage1m']): BenchEnvironment {
  return {
    node: process.version,
    platform: os.platform(),
    arch: os.arch(),
    cores: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage1m,
    topology:
      'The app in a child process, autocannon in the benchmark process; PostgreSQL, Redis and RabbitMQ local; ' +
      'all on this machine',
  };
}

function verdictLine(result: BenchResult): string {
  const { verdict } = result;
  const mark = (pass: boolean) => (pass ? 'pass' : 'FAIL');
  const outcome = verdict.valid ? (verdict.pass ? 'PASS' : 'FAIL') : 'INVALID MEASUREMENT';
  return (
    `${outcome}: ratio ${verdict.ratio} (${mark(verdict.ratioPass)}, needs ≥ ${target.minRatio}), ` +
    `p99 ${verdict.p99Ms} ms (${mark(verdict.p99Pass)}, needs < ${target.maxP99Ms} ms)`
  );
}

// Wide enough for the longest route name (the spread read's), so that the printed figures line up.
const routeColumnWidth = 40;

/** What the benchmark prints when it is done. */
export function summaryLines(result: BenchResult): string[] {
  const line = ({ route, requestsPerSecond, latencyMs }: RouteHeadline) =>
    `${route.padEnd(routeColumnWidth)} ${String(requestsPerSecond).padStart(7)} req/s   ` +
    `p50 ${latencyMs.p50} ms  p90 ${latencyMs.p90} ms  p99 ${latencyMs.p99} ms  max ${latencyMs.max} ms`;
  const rounds = result.rounds.length;
  return [
    rounds > 1 ? `medians of ${rounds} rounds:` : 'result:',
    `  ${line(result.summary.ceiling)}`,
    `  ${line(result.summary.cachedRead)}`,
    `  ${line(result.summary.seam.interceptor.headline)}`,
    `  ${line(result.summary.seam.stockCacheInterceptor.headline)}`,
    `  ${line(result.summary.spreadRead)}`,
    verdictLine(result),
    `  app CPU per request: ${result.summary.ceiling.appCpuMicrosecondsPerRequest} µs ceiling, ` +
      `${result.summary.cachedRead.appCpuMicrosecondsPerRequest} µs cached read, ` +
      `${result.summary.spreadRead.appCpuMicrosecondsPerRequest} µs spread cached read`,
    ...seamLines(result.summary),
    ...result.verdict.problems.map((problem) => `  problem: ${problem}`),
    ...result.verdict.notes.map((note) => `  note: ${note}`),
  ];
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : String(value);
}

function seamLines(summary: BenchResult['summary']): string[] {
  const line = (name: string, seam: SeamComparison) =>
    `  ${name}: ratio ${seam.ratio} (decorator ${summary.ratio}), app CPU ` +
    `${signed(seam.appCpuMicrosecondsMoreThanDecorator)} µs/request vs the decorator (per round: ` +
    `${seam.appCpuMicrosecondsMoreThanDecoratorPerRound.map(signed).join(', ')})`;
  return [
    line('Nest interceptor', summary.seam.interceptor),
    line('stock CacheInterceptor', summary.seam.stockCacheInterceptor),
  ];
}

/** Issue 12's question, answered beside the verdict (which it does not change). */
function seamSection(summary: BenchResult['summary']): string[] {
  const row = (name: string, headline: RouteHeadline, ratio: number, more: string, perRound: string) =>
    `| ${name} | \`${headline.route}\` | ${headline.requestsPerSecond} | ${ratio} | ${headline.latencyMs.p99} | ` +
    `${headline.appCpuMicrosecondsPerRequest} | ${more} | ${perRound} |`;
  const seamRow = (name: string, seam: SeamComparison) =>
    row(
      name,
      seam.headline,
      seam.ratio,
      signed(seam.appCpuMicrosecondsMoreThanDecorator),
      seam.appCpuMicrosecondsMoreThanDecoratorPerRound.map(signed).join(', '),
    );
  return [
    '## Declarative seam: decorator vs interceptor',
    '',
    'The same cached read of one payment, behind the same API-key authentication, through three seams: ' +
      '`@CachedRead(paymentCache)` (the handler wrapped where it is defined), a Nest interceptor doing what the ' +
      'decorator does (`@UseInterceptors(CachedReadInterceptor)`: same HotCache call, key and content type, an ' +
      "Observable through Nest's interceptor pipeline), and `@nestjs/cache-manager`'s own `CacheInterceptor` with " +
      '`@CacheKey`/`@CacheTTL` (bench/support/seam-routes.module.ts). Medians of the rounds; the difference is taken ' +
      'within each round, then its median.',
    '',
    '| seam | route | req/s (avg) | ratio to ceiling | p99 ms | app CPU µs/request | app CPU µs/request vs ' +
      'decorator | per round |',
    '|---|---|---|---|---|---|---|---|',
    row('ceiling', summary.ceiling, 1, '', ''),
    row('`@CachedRead` (decorator)', summary.cachedRead, summary.ratio, '0', ''),
    seamRow('Nest interceptor', summary.seam.interceptor),
    seamRow('stock `CacheInterceptor`', summary.seam.stockCacheInterceptor),
    '',
    '- The interceptor route differs from the real one by its seam only, and by what that seam implies: Nest runs ' +
      'interceptors before pipes and parameter decorators, so on a hit it skips the id pipe, `@CurrentMerchant()` ' +
      'and the `@Req`/`@Res` arguments the decorator adds (a malformed id reaches the interceptor, which reads ' +
      'through the cache with it; the decorated route answers it 404 first).',
    '- The stock `CacheInterceptor` has other semantics, so its figure is what the stock way costs, not a ' +
      'replacement: no generation guard (a load racing an invalidation can store the old body), nothing ' +
      'invalidates it, no single flight (every request is a Redis GET of its own; the decorator and the ' +
      'interceptor above share one Redis read among requests arriving together), the body is parsed and serialized ' +
      'again on every hit, its 404s are not cached, and its key is merchant-scoped only because the bench route ' +
      "gives `@CacheKey` a factory that says so (the default key is the URL: one merchant would read another's).",
    '',
  ];
}

function redisCommandsPerRequest(run: RouteResult): string {
  return run.requests.total > 0 ? (run.redisCommands / run.requests.total).toFixed(3) : '-';
}

function summedStatements(runs: readonly RouteResult[]): string[] {
  const counts = new Map<string, number>();
  for (const run of runs) {
    for (const { statement, count } of run.postgres.topStatements) {
      counts.set(statement, (counts.get(statement) ?? 0) + count);
    }
  }
  if (counts.size === 0) return ['- (none)'];
  return [...counts].sort((a, b) => b[1] - a[1]).map(([statement, count]) => `- ${count} × \`${statement}\``);
}

export function formatMarkdown(result: BenchResult): string {
  const { verdict, summary, settings, environment, rounds } = result;
  const headlineRow = (name: string, headline: RouteHeadline) =>
    `| ${name} | \`${headline.route}\` | ${headline.requestsPerSecond} | ${headline.latencyMs.p50} | ` +
    `${headline.latencyMs.p90} | ${headline.latencyMs.p99} | ${headline.latencyMs.max} | ` +
    `${headline.appCpuMicrosecondsPerRequest} |`;
  const runRow = (round: number, name: string, run: RouteResult) => {
    const cpu = run.cpuPercentOfOneCore;
    return (
      `| ${round} | ${name} | ${Math.round(run.requests.perSecond.average)} ± ` +
      `${Math.round(run.requests.perSecond.stddev)} | ${run.latencyMs.p50} | ${run.latencyMs.p90} | ` +
      `${run.latencyMs.p99} | ${run.latencyMs.max} | ${run.requests.total} | ${run.appCpuMicrosecondsPerRequest} | ` +
      `${run.errors + run.timeouts + run.non2xx} | ${cpu.app}% | ${cpu.loadGenerator}% | ${cpu.redis}% | ` +
      `${cpu.other}% | ` +
      `${cpu.steal === null ? '-' : `${cpu.steal}%`} | ` +
      `${run.postgres.queries} | ${redisCommandsPerRequest(run)} |`
    );
  };
  const cachedRuns = rounds.map((round) => round.cachedRead);
  const spreadRuns = rounds.map((round) => round.spreadRead);
  const cacheTotals = (runs: readonly RouteResult[], family: 'payment' | 'api_key') => {
    const sum = (pick: (run: RouteResult) => number) => runs.reduce((total, run) => total + pick(run), 0);
    return (
      `${family}: ${sum((run) => run.cache[family].hits)} hits, ${sum((run) => run.cache[family].misses)} misses, ` +
      `${sum((run) => run.cache[family].errors)} errors`
    );
  };
  return [
    '# Cached read benchmark',
    '',
    `Measured ${result.date} by \`npm run bench:seams\` (bench/cached-read.bench.ts).`,
    '',
    `Target: \`${result.target.route}\` served from the cache reaches at least ${target.minRatio}× the requests/s ` +
      `of \`${result.target.ceilingRoute}\` (the framework's ceiling: same app, same run, no I/O) with p99 under ` +
      `${target.maxP99Ms} ms; autocannon, ${settings.connections} connections.`,
    '',
    `**${verdictLine(result)}**`,
    '',
    ...verdict.problems.map((problem) => `- problem: ${problem}`),
    ...verdict.notes.map((note) => `- note: ${note}`),
    ...(verdict.problems.length + verdict.notes.length > 0 ? [''] : []),
    rounds.length > 1 ? `Medians of ${rounds.length} rounds:` : 'Summary:',
    '',
    '| | route | req/s (avg) | p50 ms | p90 ms | p99 ms | max ms | app CPU µs/request |',
    '|---|---|---|---|---|---|---|---|',
    headlineRow('ceiling', summary.ceiling),
    headlineRow('cached read', summary.cachedRead),
    headlineRow('cached read, Nest interceptor', summary.seam.interceptor.headline),
    headlineRow('cached read, stock CacheInterceptor', summary.seam.stockCacheInterceptor.headline),
    headlineRow('spread cached read', summary.spreadRead),
    '',
    ...seamSection(summary),
    'Every measured run. CPU is in % of one core over the run: the app process, autocannon (this process), the ' +
      'Redis server, everything else on the machine (PostgreSQL, RabbitMQ, other work), and steal — time the ' +
      "hypervisor gave this VM's cores to others. PG queries: sent by the app during the run, its background work " +
      'included. Redis commands: processed by the Redis server per answered request (cache and queues).',
    '',
    '| round | route | req/s avg ± stddev | p50 ms | p90 ms | p99 ms | max ms | requests | app CPU µs/request | ' +
      'errors | app CPU | autocannon CPU | Redis CPU | other CPU | steal | PG queries | Redis commands |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rounds.flatMap(({ ceiling, cachedRead, interceptedRead, stockRead, spreadRead }, index) => [
      runRow(index + 1, 'ceiling', ceiling),
      runRow(index + 1, 'cached read', cachedRead),
      runRow(index + 1, 'cached read, Nest interceptor', interceptedRead),
      runRow(index + 1, 'cached read, stock CacheInterceptor', stockRead),
      runRow(index + 1, 'spread cached read', spreadRead),
    ]),
    '',
    "Latencies are autocannon's: 1 ms resolution, truncated (p99 9 means under 10 ms); 2xx responses only.",
    '',
    `The app's cache during the measured cached reads: ${cacheTotals(cachedRuns, 'payment')}; ` +
      `${cacheTotals(cachedRuns, 'api_key')}; during the spread cached reads: ${cacheTotals(spreadRuns, 'payment')}; ` +
      `${cacheTotals(spreadRuns, 'api_key')} (API keys are also kept in-process; those hits count too).`,
    '',
    'PostgreSQL statements during the measured cached reads:',
    ...summedStatements(cachedRuns),
    '',
    'PostgreSQL statements during the measured spread cached reads:',
    ...summedStatements(spreadRuns),
    '',
    'PostgreSQL statements during the measured ceiling runs (the app in the background: outbox relay, schedulers):',
    ...summedStatements(rounds.map((round) => round.ceiling)),
    '',
    `Settings: ${settings.connections} connections, pipelining 1, ${settings.rounds} round(s); ` +
      `${settings.order}; ${settings.warmupS} s warm-up and ${settings.durationS} s measured each.`,
    '',
    `Machine: ${environment.cores} cores (${environment.cpuModel}), ${environment.memoryGiB} GiB; Node ` +
      `${environment.node} on ${environment.platform}/${environment.arch}; 1-minute load average ` +
      `${environment.loadAverage1m.atStart} at start, ${environment.loadAverage1m.atEnd} at the end. ` +
      `${environment.topology}.`,
    '',
  ].join('\n');
}
