/**
 * What a stretch of write work cost, per payment: the CPU of every process (/proc), and where it went as far as
 * the services can say — Redis's commandstats, PostgreSQL's pg_stat_statements (when loaded), the queries the app
 * sent (counted in its processes), RabbitMQ's message counters (when its management API is on) and, with a profile
 * directory, a V8 CPU profile of each app process over the window.
 */
import path from 'node:path';
import { type ProfileSummary, summarizeProfile } from './cpu-profile';
import { percentByService, ProcessCpuProbe, type ServiceCpu, type ServiceName, serviceNames } from './process-cpu';
import { type CommandStats, commandStatsPer, type RedisCpuProbe } from './redis-cpu';
import {
  type PostgresStatements,
  type RabbitmqCounters,
  rabbitmqCounters,
  type StatementTotals,
  statementsPer,
} from './server-statistics';
import type { ServerProcess } from './server-process';
import type { ServerCounters } from './server-protocol';

const topKept = 12;
const profileFunctionsKept = 15;

export interface WorkProbes {
  processes: ProcessCpuProbe;
  redis: RedisCpuProbe;
  statements: PostgresStatements;
  rabbitmqUrl: string;
}

/** The app under measurement: its processes by role (`all`, or `api`, `worker`, `relay`). */
export type AppProcesses = Record<string, ServerProcess>;

export interface WorkCost {
  payments: number;
  elapsedS: number;
  cpu: ServiceCpu;
  /** CPU-µs per payment by service, and in all. */
  microsecondsPerPayment: Record<ServiceName | 'total', number>;
  /** The app's CPU-µs per payment by process (role). */
  appMicrosecondsPerPaymentByProcess: Record<string, number>;
  percentOfOneCore: Record<ServiceName | 'total', number>;
  /** Per payment, the busiest first (every client of the Redis server: other users of it too). */
  redisCommands: { command: string; calls: number; microseconds: number }[];
  /** Per payment by execution time, or why there are none. */
  postgresStatements: { query: string; calls: number; microseconds: number }[] | { unavailable: string };
  /** The queries the app's processes sent, per payment. */
  appQueries: { total: number; byStatement: { statement: string; perPayment: number }[] };
  rabbitmq: Record<keyof RabbitmqCounters, number> | { unavailable: string };
  profiles?: (ProfileSummary & { process: string })[];
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const round2 = (value: number) => Math.round(value * 100) / 100;

async function countersOf(app: AppProcesses): Promise<Record<string, ServerCounters>> {
  const entries = await Promise.all(
    Object.entries(app).map(async ([role, server]) => [role, await server.counters()] as const),
  );
  return Object.fromEntries(entries);
}

function queriesPer(
  before: Record<string, ServerCounters>,
  after: Record<string, ServerCounters>,
  payments: number,
): WorkCost['appQueries'] {
  let total = 0;
  const byStatement = new Map<string, number>();
  for (const [role, counters] of Object.entries(after)) {
    const was = before[role]!.queries;
    total += counters.queries.total - was.total;
    for (const [statement, count] of Object.entries(counters.queries.byStatement)) {
      byStatement.set(statement, (byStatement.get(statement) ?? 0) + count - (was.byStatement[statement] ?? 0));
    }
  }
  const per = (count: number) => (payments > 0 ? round2(count / payments) : 0);
  return {
    total: per(total),
    byStatement: [...byStatement]
      .map(([statement, count]) => ({ statement, perPayment: per(count) }))
      .filter(({ perPayment }) => perPayment > 0)
      .sort((a, b) => b.perPayment - a.perPayment)
      .slice(0, topKept * 2),
  };
}

export class WorkWindow {
  private constructor(
    private readonly app: AppProcesses,
    private readonly probes: WorkProbes,
    private readonly profileFiles: Record<string, string> | undefined,
    private readonly before: {
      processes: Awaited<ReturnType<ProcessCpuProbe['snapshot']>>;
      redis: CommandStats;
      statements: Map<string, StatementTotals> | undefined;
      counters: Record<string, ServerCounters>;
      rabbitmq: Awaited<ReturnType<typeof rabbitmqCounters>>;
    },
  ) {}

  /**
   * Takes every "before" snapshot. With `profile` ({ directory, label }), starts profiling each app process; the
   * profiles are written as <label>-<role>.cpuprofile in the directory when the window closes.
   */
  static async open(
    app: AppProcesses,
    probes: WorkProbes,
    profile?: { directory: string; label: string },
  ): Promise<WorkWindow> {
    const profileFiles = profile
      ? Object.fromEntries(
          Object.keys(app).map((role) => [role, path.join(profile.directory, `${profile.label}-${role}.cpuprofile`)]),
        )
      : undefined;
    const before = {
      counters: await countersOf(app),
      redis: await probes.redis.commandStats(),
      statements: await probes.statements.snapshot(),
      rabbitmq: await rabbitmqCounters(probes.rabbitmqUrl),
      processes: await probes.processes.snapshot(),
    };
    if (profileFiles) await Promise.all(Object.values(app).map((server) => server.startProfile()));
    return new WorkWindow(app, probes, profileFiles, before);
  }

  async close(payments: number): Promise<WorkCost> {
    const processes = await this.probes.processes.snapshot();
    if (this.profileFiles) {
      await Promise.all(
        Object.entries(this.app).map(([role, server]) => server.stopProfile(this.profileFiles![role]!)),
      );
    }
    const rabbitmq = await rabbitmqCounters(this.probes.rabbitmqUrl);
    const statements = await this.probes.statements.snapshot();
    const redis = await this.probes.redis.commandStats();
    const counters = await countersOf(this.app);
    const cpu = ProcessCpuProbe.between(this.before.processes, processes);
    const per = (us: number) => (payments > 0 ? round1(us / payments) : 0);
    const total = serviceNames.reduce((sum, name) => sum + cpu.microseconds[name], 0);
    const was = this.before.rabbitmq;
    return {
      payments,
      elapsedS: round1(cpu.elapsedS),
      cpu,
      microsecondsPerPayment: {
        ...(Object.fromEntries(serviceNames.map((name) => [name, per(cpu.microseconds[name])])) as Record<
          ServiceName,
          number
        >),
        total: per(total),
      },
      appMicrosecondsPerPaymentByProcess: Object.fromEntries(
        Object.entries(cpu.appByProcess).map(([role, us]) => [role, per(us)]),
      ),
      percentOfOneCore: percentByService(cpu),
      redisCommands: commandStatsPer(this.before.redis, redis, Math.max(1, payments)).slice(0, topKept),
      postgresStatements:
        statements && this.before.statements
          ? statementsPer(this.before.statements, statements, Math.max(1, payments), topKept)
          : { unavailable: this.probes.statements.unavailable ?? 'pg_stat_statements unavailable' },
      appQueries: queriesPer(this.before.counters, counters, payments),
      rabbitmq:
        'unavailable' in rabbitmq || 'unavailable' in was
          ? {
              unavailable:
                'unavailable' in rabbitmq ? rabbitmq.unavailable : (was as { unavailable: string }).unavailable,
            }
          : {
              publish: round2((rabbitmq.publish - was.publish) / Math.max(1, payments)),
              confirm: round2((rabbitmq.confirm - was.confirm) / Math.max(1, payments)),
              deliverGet: round2((rabbitmq.deliverGet - was.deliverGet) / Math.max(1, payments)),
              ack: round2((rabbitmq.ack - was.ack) / Math.max(1, payments)),
            },
      ...(this.profileFiles
        ? {
            profiles: await Promise.all(
              Object.entries(this.profileFiles).map(async ([role, file]) => ({
                process: role,
                ...(await summarizeProfile(file, profileFunctionsKept)),
              })),
            ),
          }
        : {}),
    };
  }
}
