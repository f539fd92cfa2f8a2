/**
 * What PostgreSQL and RabbitMQ say about their own work, where they can say it cheaply: pg_stat_statements (only
 * when the server preloads it: the extension needs shared_preload_libraries, which only a server restart changes,
 * so the benchmark never sets it) and RabbitMQ's management API (only when its plugin is on). Each is optional: when
 * it is not there the report says so and shows what the benchmark counts itself instead.
 */
import { Client } from 'pg';

export interface StatementTotals {
  query: string;
  calls: number;
  totalMs: number;
}

const queryLengthMax = 120;

/** pg_stat_statements of one database, or why not. */
export class PostgresStatements {
  private constructor(
    private readonly client: Client | undefined,
    readonly unavailable: string | undefined,
  ) {}

  static async connect(databaseUrl: string): Promise<PostgresStatements> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows: available } = await client.query<{ name: string }>(
        "SELECT name FROM pg_available_extensions WHERE name = 'pg_stat_statements'",
      );
      if (available.length === 0) {
        await client.end();
        return new PostgresStatements(undefined, 'the pg_stat_statements extension is not installed on this server');
      }
      const { rows } = await client.query<{ libraries: string }>(
        "SELECT current_setting('shared_preload_libraries') AS libraries",
      );
      if (!rows[0]!.libraries.split(',').some((library) => library.trim() === 'pg_stat_statements')) {
        await client.end();
        return new PostgresStatements(
          undefined,
          'pg_stat_statements is available but not loaded (shared_preload_libraries is ' +
            `"${rows[0]!.libraries}"; loading it takes a server restart, which the benchmark does not do)`,
        );
      }
      await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      return new PostgresStatements(client, undefined);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  /** Totals per statement of this database so far (undefined when unavailable). */
  async snapshot(): Promise<Map<string, StatementTotals> | undefined> {
    if (!this.client) return undefined;
    const { rows } = await this.client.query<{ queryid: string; query: string; calls: string; total_ms: number }>(`
      SELECT queryid::text AS queryid, query, calls::text AS calls, total_exec_time AS total_ms
      FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`);
    return new Map(
      rows.map((row) => [
        row.queryid,
        {
          query: row.query.replace(/\s+/g, ' ').trim().slice(0, queryLengthMax),
          calls: Number(row.calls),
          totalMs: row.total_ms,
        },
      ]),
    );
  }

  async close(): Promise<void> {
    await this.client?.end();
  }
}

/** The statements between two snapshots, per `divisor` (per payment), by total execution time, the first `count`. */
export function statementsPer(
  before: Map<string, StatementTotals>,
  after: Map<string, StatementTotals>,
  divisor: number,
  count: number,
): { query: string; calls: number; microseconds: number }[] {
  const round = (value: number) => Math.round(value * 100) / 100;
  return [...after]
    .map(([id, { query, calls, totalMs }]) => ({
      query,
      calls: round((calls - (before.get(id)?.calls ?? 0)) / divisor),
      microseconds: round(((totalMs - (before.get(id)?.totalMs ?? 0)) * 1000) / divisor),
    }))
    .filter(({ calls }) => calls > 0)
    .sort((a, b) => b.microseconds - a.microseconds)
    .slice(0, count);
}

/** RabbitMQ's message counters since it started (management API, /api/overview). */
export interface RabbitmqCounters {
  publish: number;
  confirm: number;
  deliverGet: number;
  ack: number;
}

const managementTimeoutMs = 1000;
const managementPort = 15672;

/** The broker's counters, or a reason they cannot be had (the management plugin off, say). */
export async function rabbitmqCounters(amqpUrl: string): Promise<RabbitmqCounters | { unavailable: string }> {
  const amqp = new URL(amqpUrl);
  const user = decodeURIComponent(amqp.username) || 'guest';
  const password = decodeURIComponent(amqp.password) || 'guest';
  const url = `http://${amqp.hostname}:${managementPort}/api/overview`;
  try {
    const response = await fetch(url, {
      headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      signal: AbortSignal.timeout(managementTimeoutMs),
    });
    if (!response.ok) return { unavailable: `the management API at ${url} answered ${response.status}` };
    const stats = ((await response.json()) as { message_stats?: Record<string, number> }).message_stats ?? {};
    return {
      publish: stats.publish ?? 0,
      confirm: stats.confirm ?? 0,
      deliverGet: stats.deliver_get ?? 0,
      ack: stats.ack ?? 0,
    };
  } catch (error) {
    const reason =
      error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    return { unavailable: `no management API at ${url} (${reason}): the management plugin is off` };
  }
}
