import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { Client } from 'pg';

/** Drops the database of `databaseUrl`, connected to the server's `postgres` database, even if still in use. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.slice(1));
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Deletes the run's events exchange and subscriber queues (the app has closed: nothing uses them any more). */
export async function deleteEventsTopology(rabbitmqUrl: string, exchange: string, queues: string[]): Promise<void> {
  const connection = await connect(rabbitmqUrl);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
    await channel.deleteExchange(exchange);
    await channel.close();
  } finally {
    await connection.close();
  }
}

/** Deletes every key under `${prefix}:` (BullMQ's and the cache's) on each Redis in `urls`; returns how many. */
export async function deleteRedisKeys(urls: readonly string[], prefix: string): Promise<number> {
  let deleted = 0;
  for (const url of new Set(urls)) {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        if (keys.length > 0) deleted += await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      await redis.quit();
    }
  }
  return deleted;
}

/** One step of a run's cleanup: what it does (for the failure message) and the step. */
export type Cleanup = [what: string, cleanup: () => Promise<unknown>];

/** The scratch run's database, events topology and Redis keys, removed (see scratchRun). */
export function scratchRunCleanups(
  config: {
    database: { url: string };
    rabbitmq: { urls: readonly string[]; eventsExchange: string };
    redis: { url: string; cacheUrl: string };
    webhooks: { eventsQueue: string };
  },
  queuePrefix: string,
): Cleanup[] {
  return [
    ['drop the database', () => dropDatabase(config.database.url)],
    [
      'delete the RabbitMQ exchange and queue',
      () =>
        // Any node of the cluster: the first, as the benchmark's own probes use.
        deleteEventsTopology(config.rabbitmq.urls[0]!, config.rabbitmq.eventsExchange, [config.webhooks.eventsQueue]),
    ],
    ['delete the Redis keys', () => deleteRedisKeys([config.redis.url, config.redis.cacheUrl], queuePrefix)],
  ];
}

/** Runs every step, each whatever the others did; prints and returns the failures ("could not …"). */
export async function runCleanups(cleanups: readonly Cleanup[]): Promise<string[]> {
  const failures: string[] = [];
  for (const [what, cleanup] of cleanups) {
    await cleanup().catch((error: unknown) => {
      failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    });
  }
  for (const failure of failures) console.error(`cleanup failed: could not ${failure}`);
  return failures;
}
