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
