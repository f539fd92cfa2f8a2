import { Redis } from 'ioredis';

export type CommandStats = Record<string, { calls: number; microseconds: number }>;

/** Commands between two commandstats, per `divisor` (per payment), the busiest first. */
export function commandStatsPer(
  before: CommandStats,
  after: CommandStats,
  divisor: number,
): { command: string; calls: number; microseconds: number }[] {
  const round = (value: number) => Math.round(value * 100) / 100;
  return Object.entries(after)
    .map(([command, { calls, microseconds }]) => ({
      command,
      calls: round((calls - (before[command]?.calls ?? 0)) / divisor),
      microseconds: round((microseconds - (before[command]?.microseconds ?? 0)) / divisor),
    }))
    .filter(({ calls }) => calls > 0)
    .sort((a, b) => b.microseconds - a.microseconds);
}

/** The CPU time a Redis server has used (INFO cpu), to tell its share of a run from the rest of the machine's. */
export class RedisCpuProbe {
  private constructor(private readonly redis: Redis) {}

  static async connect(url: string): Promise<RedisCpuProbe> {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    return new RedisCpuProbe(redis);
  }

  /** User + system CPU time of the server process since it started, in microseconds. */
  async microseconds(): Promise<number> {
    const info = await this.redis.info('cpu');
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
    const seconds = field('used_cpu_user') + field('used_cpu_sys');
    if (Number.isNaN(seconds)) throw new Error('INFO cpu has no used_cpu_user / used_cpu_sys');
    return seconds * 1e6;
  }

  /** Commands the server has processed since it started (INFO stats), this probe's own included. */
  async commandsProcessed(): Promise<number> {
    const info = await this.redis.info('stats');
    const processed = Number(/^total_commands_processed:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
    if (Number.isNaN(processed)) throw new Error('INFO stats has no total_commands_processed');
    return processed;
  }

  /** Calls and µs per command since the server started (INFO commandstats), every client's. */
  async commandStats(): Promise<CommandStats> {
    const info = await this.redis.info('commandstats');
    const stats: CommandStats = {};
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
      stats[match[1]!] = { calls: Number(match[2]), microseconds: Number(match[3]) };
    }
    return stats;
  }

  /** The server's process id (INFO server), to read its CPU time from /proc with the other services'. */
  async processId(): Promise<number> {
    const info = await this.redis.info('server');
    const pid = Number(/^process_id:(\d+)/m.exec(info)?.[1] ?? Number.NaN);
    if (Number.isNaN(pid)) throw new Error('INFO server has no process_id');
    return pid;
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}
