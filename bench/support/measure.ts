import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { CacheFamilyCounts } from '../../src/caching/cache-counters';
import { type LoadSummary, runLoad } from './load';
import { percentByService, ProcessCpuProbe, type ServiceCpu } from './process-cpu';
import type { ReadFamily, ServerCounters } from './server-protocol';
import type { RedisCpuProbe } from './redis-cpu';
import type { ServerProcess } from './server-process';

const topStatementsKept = 10;

export interface LoadSettings {
  connections: number;
  durationS: number;
  warmupS: number;
}

/** CPU time in percent of one core over a measured run (200% = both cores of a 2-core machine, fully). */
export interface CpuDuringRun {
  /** The app processes that served the route (their sum). */
  app: number;
  /** The benchmark process: autocannon. */
  loadGenerator: number;
  /** The whole machine: busy time of every core. */
  machine: number;
  /** The Redis server (cache and queues). */
  redis: number;
  /** machine − app − load generator − Redis: PostgreSQL, RabbitMQ and anything else running. */
  other: number;
  /** Time the hypervisor ran something else while this VM wanted the CPU (Linux only; null elsewhere). */
  steal: number | null;
}

export interface RouteResult extends LoadSummary {
  route: string;
  cpuPercentOfOneCore: CpuDuringRun;
  /** The CPU time of the app processes that served the route per answered request, in microseconds. */
  appCpuMicrosecondsPerRequest: number;
  /** Queries those processes sent to PostgreSQL during the measured run, their background work included. */
  postgres: { queries: number; topStatements: { statement: string; count: number }[] };
  /** The app's HotCache counts during the measured run. */
  cache: Record<ReadFamily, CacheFamilyCounts>;
  /** Commands the Redis server processed during the measured run (cache and queues, every client). */
  redisCommands: number;
  /** With a ProcessCpuProbe: each service's CPU from /proc over the measured run (PostgreSQL and RabbitMQ too). */
  processCpu?: { percentOfOneCore: ReturnType<typeof percentByService>; detail: ServiceCpu };
}

/** A route under load: GET of `path` unless said, the same headers on every request plus `perRequestHeaders()`. */
export interface LoadedRoute {
  path: string;
  headers?: Record<string, string>;
  paths?: readonly string[];
  method?: 'GET' | 'POST';
  body?: unknown;
  perRequestHeaders?: () => Record<string, string>;
}

export interface MeasureOptions {
  /** Reads every service's CPU from /proc around the measured run. */
  processes?: ProcessCpuProbe;
  /** Runs after the warm-up, before the measured run's counters are read (to let a backlog drain, say). */
  beforeMeasured?: () => Promise<void>;
}

/** Busy and total CPU time of all cores since boot, in milliseconds. */
function machineCpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const used = times.user + times.nice + times.sys + times.irq;
    busy += used;
    total += used + times.idle;
  }
  return { busy, total };
}

/** Steal and total time of all cores since boot, in clock ticks, from /proc/stat (Linux); undefined elsewhere. */
function stealTicks(): { steal: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already counted in user.
    const total = fields.slice(0, 8).reduce((sum, value) => sum + value, 0);
    const steal = fields[7];
    return steal === undefined || Number.isNaN(total) ? undefined : { steal, total };
  } catch {
    return undefined;
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function percentOfOneCore(cpuMicroseconds: number, durationS: number): number {
  return round1((cpuMicroseconds / (durationS * 1e6)) * 100);
}

function cacheDelta(before: ServerCounters, after: ServerCounters): RouteResult['cache'] {
  const delta = (family: ReadFamily): CacheFamilyCounts => {
    const was = before.cache[family];
    const is = after.cache[family];
    return {
      hits: is.hits - was.hits,
      misses: is.misses - was.misses,
      errors: is.errors - was.errors,
      coalescedLoads: is.coalescedLoads - was.coalescedLoads,
    };
  };
  return { payment: delta('payment'), api_key: delta('api_key') };
}

function statementDelta(before: ServerCounters, after: ServerCounters): RouteResult['postgres']['topStatements'] {
  return Object.entries(after.queries.byStatement)
    .map(([statement, count]) => ({ statement, count: count - (before.queries.byStatement[statement] ?? 0) }))
    .filter(({ count }) => count > 0)
    .sort((a, b) => b.count - a.count)
    .slice(0, topStatementsKept);
}

/** The counters of several app processes added up (each process counts its own since it started). */
async function summedCounters(servers: readonly ServerProcess[]): Promise<ServerCounters> {
  const each = await Promise.all(servers.map((server) => server.counters()));
  const family = (name: ReadFamily): CacheFamilyCounts => ({
    hits: each.reduce((sum, counters) => sum + counters.cache[name].hits, 0),
    misses: each.reduce((sum, counters) => sum + counters.cache[name].misses, 0),
    errors: each.reduce((sum, counters) => sum + counters.cache[name].errors, 0),
    coalescedLoads: each.reduce((sum, counters) => sum + counters.cache[name].coalescedLoads, 0),
  });
  const byStatement: Record<string, number> = {};
  for (const counters of each) {
    for (const [statement, count] of Object.entries(counters.queries.byStatement)) {
      byStatement[statement] = (byStatement[statement] ?? 0) + count;
    }
  }
  return {
    queries: { total: each.reduce((sum, counters) => sum + counters.queries.total, 0), byStatement },
    cache: { payment: family('payment'), api_key: family('api_key') },
    cpu: {
      user: each.reduce((sum, counters) => sum + counters.cpu.user, 0),
      system: each.reduce((sum, counters) => sum + counters.cpu.system, 0),
    },
  };
}

/**
 * A warm-up run (discarded), then the measured run of `path` on the app, with the app's counters, this process's
 * CPU time and the machine's read around the measured run only. Several servers (the app's api processes): the
 * connections are spread over them, as behind a load balancer, and their counters added up.
 */
export async function measureRoute(
  serverOrServers: ServerProcess | readonly ServerProcess[],
  redis: RedisCpuProbe,
  settings: LoadSettings,
  route: LoadedRoute,
  options: MeasureOptions = {},
): Promise<RouteResult> {
  const servers = Array.isArray(serverOrServers) ? serverOrServers : [serverOrServers as ServerProcess];
  const urls = servers.map((server) => `http://127.0.0.1:${server.port}${route.path}`);
  const load = {
    url: urls.length === 1 ? urls[0]! : urls,
    connections: settings.connections,
    headers: route.headers,
    paths: route.paths,
    method: route.method,
    body: route.body,
    perRequestHeaders: route.perRequestHeaders,
  };
  await runLoad({ ...load, durationS: settings.warmupS });
  await options.beforeMeasured?.();
  const processesBefore = await options.processes?.snapshot();
  const before = await summedCounters(servers);
  const redisBefore = await redis.microseconds();
  const redisCommandsBefore = await redis.commandsProcessed();
  const ownCpuBefore = process.cpuUsage();
  const machineBefore = machineCpuTimes();
  const stealBefore = stealTicks();
  const summary = await runLoad({ ...load, durationS: settings.durationS });
  const stealAfter = stealTicks();
  const machineAfter = machineCpuTimes();
  const ownCpu = process.cpuUsage(ownCpuBefore);
  const redisAfter = await redis.microseconds();
  const redisCommandsAfter = await redis.commandsProcessed();
  const after = await summedCounters(servers);
  const processesAfter = await options.processes?.snapshot();

  const appCpu = after.cpu.user - before.cpu.user + after.cpu.system - before.cpu.system;
  const app = percentOfOneCore(appCpu, summary.durationS);
  const loadGenerator = percentOfOneCore(ownCpu.user + ownCpu.system, summary.durationS);
  const redisServer = percentOfOneCore(redisAfter - redisBefore, summary.durationS);
  const machineShare = (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total);
  const cores = os.cpus().length;
  const machine = round1(machineShare * cores * 100);
  const steal =
    stealBefore && stealAfter && stealAfter.total > stealBefore.total
      ? round1(((stealAfter.steal - stealBefore.steal) / (stealAfter.total - stealBefore.total)) * cores * 100)
      : null;
  return {
    route: `${route.method ?? 'GET'} ${route.path}`,
    ...summary,
    cpuPercentOfOneCore: {
      app,
      loadGenerator,
      machine,
      redis: redisServer,
      other: round1(Math.max(0, machine - app - loadGenerator - redisServer)),
      steal,
    },
    appCpuMicrosecondsPerRequest: summary.requests.total > 0 ? round1(appCpu / summary.requests.total) : 0,
    postgres: { queries: after.queries.total - before.queries.total, topStatements: statementDelta(before, after) },
    cache: cacheDelta(before, after),
    redisCommands: redisCommandsAfter - redisCommandsBefore,
    ...(processesBefore && processesAfter
      ? (() => {
          const detail = ProcessCpuProbe.between(processesBefore, processesAfter);
          return { processCpu: { percentOfOneCore: percentByService(detail, summary.durationS), detail } };
        })()
      : {}),
  };
}
