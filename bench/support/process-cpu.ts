/**
 * CPU time of every process of the services a write touches, read from /proc/<pid>/stat (utime + stime, Linux
 * only): the app's processes (one with APP_ROLE=all, or one per role), the benchmark process itself (the load generator), PostgreSQL (the postmaster and all its
 * children), Redis (the redis-server the app uses, by INFO's process_id) and RabbitMQ (beam.smp and its
 * children). The benchmark process counts with the children it has waited for (pgbench). A snapshot before and after a run gives each service's CPU over it, wherever the work landed.
 *
 * PostgreSQL's children are told apart through pg_stat_activity: backends of the benchmark's databases, the
 * server's own processes (checkpointer, WAL writer, …; no database), and backends of other databases — other
 * engineers' tests sharing the server — which are reported apart and left out of the total. A child that exits
 * during the run takes its CPU time into the postmaster's cutime/cstime, whoever it served: bench backends count up
 * to their last sample while the probe tracks (startTracking()), the rest is reported apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Client } from 'pg';

const ticksPerSecond = 100; // USER_HZ: getconf CLK_TCK is 100 on Linux for every supported architecture
const microsecondsPerTick = 1e6 / ticksPerSecond;

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, µs. */
  cpu: number;
  /** cutime + cstime (children waited for), µs. */
  childrenCpu: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone
  }
  // comm is in parentheses and may hold spaces or parentheses: the fields start after the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state): field n is fields[n - 3].
  const field = (n: number) => Number(fields[n - 3]);
  return {
    pid,
    comm,
    ppid: field(4),
    cpu: (field(14) + field(15)) * microsecondsPerTick,
    childrenCpu: (field(16) + field(17)) * microsecondsPerTick,
  };
}

function allStats(): ProcStat[] {
  const stats: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.push(stat);
  }
  return stats;
}

function descendantsOf(root: number, stats: readonly ProcStat[]): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  const found: ProcStat[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

export type ServiceName = 'app' | 'loadGenerator' | 'postgres' | 'redis' | 'rabbitmq';
export const serviceNames: readonly ServiceName[] = ['app', 'loadGenerator', 'postgres', 'redis', 'rabbitmq'];

/** What one PostgreSQL child is, by pg_stat_activity. */
type PostgresRole = 'bench' | 'server' | 'other';

interface Snapshot {
  at: number;
  /** µs per pid, per service. */
  byService: Record<Exclude<ServiceName, 'postgres'>, Map<number, number>>;
  /** The app processes' names by pid. */
  appNames: Map<number, string>;
  postgres: { postmaster: number; exitedChildren: number; children: Map<number, number> };
  postgresRoles: Map<number, PostgresRole>;
  /** The last CPU time seen of every bench backend so far, exited ones included. */
  lastSeenBench: Map<number, number>;
}

/** CPU time of each service over a run, µs; PostgreSQL's is the bench's backends + the server's processes. */
export interface ServiceCpu {
  microseconds: Record<ServiceName, number>;
  postgresDetail: {
    benchBackends: number;
    serverProcesses: number;
    /** Left out of `postgres`: backends of other databases (other users of the server). */
    otherDatabases: number;
    /** Left out of `postgres`: children that exited during the run, less the bench backends' (counted above). */
    exitedChildren: number;
    /** Backends of the bench's databases that exited during the run: counted up to their last sample. */
    benchBackendsExited: number;
  };
  /** The app's CPU by process, by the name it was given (its role); `microseconds.app` is their sum. */
  appByProcess: Record<string, number>;
  elapsedS: number;
}

/** How often the probe samples while tracking: a bench backend's CPU is kept as last seen when it exits. */
const trackingIntervalMs = 200;

export class ProcessCpuProbe {
  /** The last CPU time seen of every bench backend (pgbench's exit when it ends, before the second snapshot). */
  private readonly lastSeenBench = new Map<number, number>();
  private tracking: NodeJS.Timeout | undefined;
  private sampling: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly pids: { app: Map<number, string>; postmaster: number; redis: number; rabbitmq: number[] },
    private readonly activity: Client,
    private readonly benchDatabases: Set<string>,
  ) {}

  /**
   * `databaseUrl`: a database of the server under measurement (the probe keeps one connection to it, which counts
   * as a bench backend). `benchDatabases`: the databases whose backends are the benchmark's. `appPids`: the app's
   * processes by name (their role).
   */
  static async connect(options: {
    appPids: Record<string, number>;
    redisPid: number;
    databaseUrl: string;
    benchDatabases: string[];
  }): Promise<ProcessCpuProbe> {
    const client = new Client({ connectionString: options.databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const backend = readStat(rows[0]!.pid);
      if (!backend) throw new Error('the PostgreSQL backend is not visible in /proc: is the server on this machine?');
      const postmaster = readStat(backend.ppid);
      if (!postmaster) throw new Error(`the postmaster ${backend.ppid} is not visible in /proc`);
      const stats = allStats();
      const beams = stats.filter((stat) => stat.comm === 'beam.smp').map((stat) => stat.pid);
      if (beams.length === 0) throw new Error('no beam.smp process (RabbitMQ) visible in /proc');
      if (!readStat(options.redisPid)) throw new Error(`the redis-server ${options.redisPid} is not visible in /proc`);
      return new ProcessCpuProbe(
        {
          app: new Map(Object.entries(options.appPids).map(([name, pid]) => [pid, name])),
          postmaster: postmaster.pid,
          redis: options.redisPid,
          rabbitmq: beams,
        },
        client,
        new Set(options.benchDatabases),
      );
    } catch (error) {
      await client.end();
      throw error;
    }
  }

  async close(): Promise<void> {
    this.stopTracking();
    await this.sampling.catch(() => undefined);
    await this.activity.end();
  }

  /**
   * Samples every `trackingIntervalMs` until stopTracking(), so that the backends of a load that disconnects at its
   * end (pgbench) still count up to their last sample.
   */
  startTracking(): void {
    this.tracking ??= setInterval(() => {
      this.sampling = this.sampling.then(() => this.snapshot()).catch(() => undefined);
    }, trackingIntervalMs);
  }

  stopTracking(): void {
    clearInterval(this.tracking);
    this.tracking = undefined;
  }

  async snapshot(): Promise<Snapshot> {
    const { rows } = await this.activity.query<{ pid: number; datname: string | null }>(
      'SELECT pid, datname FROM pg_stat_activity',
    );
    const stats = allStats();
    const byPid = new Map(stats.map((stat) => [stat.pid, stat]));
    const cpuOf = (pids: number[]) =>
      new Map(pids.flatMap((pid) => (byPid.has(pid) ? [[pid, byPid.get(pid)!.cpu]] : [])));
    const postmaster = byPid.get(this.pids.postmaster);
    if (!postmaster) throw new Error('the postmaster has gone');
    const postgresRoles = new Map<number, PostgresRole>();
    for (const { pid, datname } of rows) {
      const role = datname === null ? 'server' : this.benchDatabases.has(datname) ? 'bench' : 'other';
      postgresRoles.set(pid, role);
      const stat = byPid.get(pid);
      if (role === 'bench' && stat) this.lastSeenBench.set(pid, stat.cpu);
    }
    const rabbit = this.pids.rabbitmq.flatMap((pid) => [pid, ...descendantsOf(pid, stats).map((stat) => stat.pid)]);
    return {
      at: performance.now(),
      byService: {
        app: cpuOf([...this.pids.app.keys()]),
        // With the children it has waited for: pgbench, when the load is pgbench.
        loadGenerator: new Map([
          [process.pid, (byPid.get(process.pid)?.cpu ?? 0) + (byPid.get(process.pid)?.childrenCpu ?? 0)],
        ]),
        redis: cpuOf([this.pids.redis]),
        rabbitmq: cpuOf(rabbit),
      },
      postgres: {
        postmaster: postmaster.cpu,
        exitedChildren: postmaster.childrenCpu,
        children: new Map(descendantsOf(postmaster.pid, stats).map((stat) => [stat.pid, stat.cpu])),
      },
      appNames: this.pids.app,
      postgresRoles,
      lastSeenBench: new Map(this.lastSeenBench),
    };
  }

  /** Each service's CPU between two snapshots. */
  static between(before: Snapshot, after: Snapshot): ServiceCpu {
    const sumDelta = (was: Map<number, number>, is: Map<number, number>) => {
      let total = 0;
      for (const [pid, cpu] of is) total += cpu - (was.get(pid) ?? 0);
      return total;
    };
    const detail = { benchBackends: 0, serverProcesses: after.postgres.postmaster - before.postgres.postmaster };
    let otherDatabases = 0;
    for (const [pid, cpu] of after.postgres.children) {
      const delta = cpu - (before.postgres.children.get(pid) ?? 0);
      // A child pg_stat_activity does not list (a backend still starting): by its role in either snapshot, else the
      // server's own.
      const role = after.postgresRoles.get(pid) ?? before.postgresRoles.get(pid) ?? 'server';
      if (role === 'bench') detail.benchBackends += delta;
      else if (role === 'server') detail.serverProcesses += delta;
      else otherDatabases += delta;
    }
    // Bench backends that exited between the snapshots: their CPU up to the last sample (startTracking()); the
    // same CPU is part of the postmaster's exited children.
    let benchBackendsExited = 0;
    let benchExitedCpu = 0;
    for (const [pid, cpu] of after.lastSeenBench) {
      if (after.postgres.children.has(pid)) continue;
      const was = before.postgres.children.get(pid) ?? (before.lastSeenBench.has(pid) ? null : 0);
      if (was === null) continue; // exited before the first snapshot
      benchBackendsExited += 1;
      benchExitedCpu += cpu - was;
    }
    detail.benchBackends += benchExitedCpu;
    const microseconds: Record<ServiceName, number> = {
      app: sumDelta(before.byService.app, after.byService.app),
      loadGenerator: sumDelta(before.byService.loadGenerator, after.byService.loadGenerator),
      postgres: detail.benchBackends + detail.serverProcesses,
      redis: sumDelta(before.byService.redis, after.byService.redis),
      rabbitmq: sumDelta(before.byService.rabbitmq, after.byService.rabbitmq),
    };
    const appByProcess: Record<string, number> = {};
    for (const [pid, name] of after.appNames) {
      appByProcess[name] = (after.byService.app.get(pid) ?? 0) - (before.byService.app.get(pid) ?? 0);
    }
    return {
      microseconds,
      appByProcess,
      postgresDetail: {
        ...detail,
        otherDatabases,
        exitedChildren: after.postgres.exitedChildren - before.postgres.exitedChildren - benchExitedCpu,
        benchBackendsExited,
      },
      elapsedS: (after.at - before.at) / 1000,
    };
  }
}

/** Percent of one core per service over `cpu.elapsedS` (or `durationS`), one decimal. */
export function percentByService(cpu: ServiceCpu, durationS = cpu.elapsedS): Record<ServiceName | 'total', number> {
  const percent = (us: number) => Math.round((us / (durationS * 1e6)) * 1000) / 10;
  const entries = serviceNames.map((name) => [name, percent(cpu.microseconds[name])] as const);
  const total = percent(serviceNames.reduce((sum, name) => sum + cpu.microseconds[name], 0));
  return { ...Object.fromEntries(entries), total } as Record<ServiceName | 'total', number>;
}
