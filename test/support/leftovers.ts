import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { Redis } from 'ioredis';
import { rabbitmqServerUrl } from './events-rabbitmq';
import { redisServerUrl } from './test-names';

const run = promisify(execFile);
const rabbitmqctlTimeoutMs = 30_000;

/** What a test run left on the shared Redis and RabbitMQ under its namespace (test/support/test-names.ts). */
export interface Leftovers {
  redisKeys: string[];
  queues: string[];
  exchanges: string[];
  users: string[];
}

export function leftoverCount(leftovers: Leftovers): number {
  const { redisKeys, queues, exchanges, users } = leftovers;
  return redisKeys.length + queues.length + exchanges.length + users.length;
}

/** The first column of a rabbitmqctl listing, one object a line. */
async function rabbitmqctlNames(...args: string[]): Promise<string[]> {
  const { stdout } = await run('rabbitmqctl', ['-q', ...args, '--no-table-headers'], { timeout: rabbitmqctlTimeoutMs });
  return stdout
    .split('\n')
    .map((line) => line.split('\t')[0]!.trim())
    .filter((name) => name.length > 0);
}

/**
 * Every key, queue, exchange and user whose name starts with `namespace`. RabbitMQ is listed with rabbitmqctl on
 * the machine's broker (as test/support/rabbitmq-user.ts uses it): AMQP can check a name, not list names, and the
 * management plugin is not enabled here.
 */
export async function listLeftovers(namespace: string): Promise<Leftovers> {
  const redis = new Redis(redisServerUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const redisKeys: string[] = [];
  try {
    const match = `${namespace.replace(/[*?[\]\\]/g, '\\$&')}*`;
    for await (const keys of redis.scanStream({ match, count: 1000 }) as AsyncIterable<string[]>)
      redisKeys.push(...keys);
  } finally {
    redis.disconnect();
  }
  const ours = (names: string[]) => names.filter((name) => name.startsWith(namespace)).sort();
  return {
    redisKeys: redisKeys.sort(),
    queues: ours(await rabbitmqctlNames('list_queues', 'name')),
    exchanges: ours(await rabbitmqctlNames('list_exchanges', 'name')),
    users: ours(await rabbitmqctlNames('list_users')),
  };
}

/** Removes what `listLeftovers` found, so that even a failing run leaves the shared servers as it found them. */
export async function removeLeftovers(leftovers: Leftovers): Promise<void> {
  const redis = new Redis(redisServerUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const batchSize = 1000;
    for (let start = 0; start < leftovers.redisKeys.length; start += batchSize) {
      await redis.unlink(...leftovers.redisKeys.slice(start, start + batchSize));
    }
  } finally {
    redis.disconnect();
  }
  if (leftovers.queues.length + leftovers.exchanges.length > 0) {
    const connection = await connect(rabbitmqServerUrl);
    try {
      const channel = await connection.createChannel();
      for (const queue of leftovers.queues) await channel.deleteQueue(queue);
      for (const exchange of leftovers.exchanges) await channel.deleteExchange(exchange);
      await channel.close();
    } finally {
      await connection.close();
    }
  }
  for (const user of leftovers.users) {
    await run('rabbitmqctl', ['-q', 'delete_user', user], { timeout: rabbitmqctlTimeoutMs });
  }
}

/**
 * The test file a name came from: names are `<namespace><file>-<random>` followed by the app's own suffixes
 * (`:payments:…` in Redis, `.events` in RabbitMQ).
 */
export function fileOfName(namespace: string, name: string): string {
  const owned = name.slice(namespace.length).split(/[:.]/)[0]!;
  return owned.replace(/-[0-9a-f]{8}$/, '');
}

const examplesPerFileMax = 3;

/** A report of the leftovers by test file: counts of each kind and a few names of each. */
export function describeLeftovers(namespace: string, leftovers: Leftovers): string {
  const byFile = new Map<string, Map<keyof Leftovers, string[]>>();
  for (const kind of Object.keys(leftovers) as (keyof Leftovers)[]) {
    for (const name of leftovers[kind]) {
      const file = fileOfName(namespace, name);
      const kinds = byFile.get(file) ?? new Map<keyof Leftovers, string[]>();
      byFile.set(file, kinds);
      kinds.set(kind, [...(kinds.get(kind) ?? []), name]);
    }
  }
  const totals = (Object.keys(leftovers) as (keyof Leftovers)[]).map((kind) => `${leftovers[kind].length} ${kind}`);
  const lines = [`left behind under ${namespace}*: ${totals.join(', ')}`];
  for (const [file, kinds] of [...byFile].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${file}:`);
    for (const [kind, names] of kinds) {
      const examples = names.slice(0, examplesPerFileMax).join(', ');
      const more = names.length > examplesPerFileMax ? `, … (${names.length} in all)` : '';
      lines.push(`    ${kind}: ${examples}${more}`);
    }
  }
  return lines.join('\n');
}
