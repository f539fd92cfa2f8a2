import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type Channel, type ChannelModel, connect } from 'amqplib';

/** The shared RabbitMQ itself, never a proxy in front of it. */
export const rabbitmqServerUrl = process.env.TEST_RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Runs `work` on a fresh channel; a refused operation closes only that channel. */
async function onChannel(connection: ChannelModel, work: (channel: Channel) => Promise<unknown>): Promise<void> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined);
  try {
    await work(channel);
    await channel.close();
  } catch {
    // already gone, or still in use by an app of the same test that has not closed yet
  }
}

/**
 * Deletes `queue` unless a consumer still uses it. Quorum queues refuse `delete` with `if-unused` (NOT_IMPLEMENTED,
 * which closes the whole connection), so the consumer count is read first, for either queue type.
 */
async function deleteQueueIfUnused(channel: Channel, queue: string): Promise<void> {
  const { consumerCount } = await channel.checkQueue(queue);
  if (consumerCount === 0) await channel.deleteQueue(queue);
}

/**
 * Deletes a test app's events exchange and subscriber queues once nothing uses them any more: a queue still
 * consumed and an exchange still bound are left to the last of several apps sharing them (APP_ROLE tests), which
 * deletes them when it closes.
 */
export async function deleteEventsTopology(exchange: string, queues: readonly string[]): Promise<void> {
  const connection = await connect(rabbitmqServerUrl);
  connection.on('error', () => undefined);
  try {
    for (const queue of queues) await onChannel(connection, (channel) => deleteQueueIfUnused(channel, queue));
    await onChannel(connection, (channel) => channel.deleteExchange(exchange, { ifUnused: true }));
  } finally {
    await connection.close();
  }
}

const run = promisify(execFile);
const rabbitmqctlTimeoutMs = 30_000;

/**
 * The type RabbitMQ itself reports for `queue` (`classic`, `quorum`, …), undefined when there is no such queue:
 * rabbitmqctl on the machine's broker, as test/support/leftovers.ts lists queues (AMQP can declare a queue, not
 * read its type, and the management plugin is not enabled here).
 */
export async function queueTypeOf(queue: string): Promise<string | undefined> {
  const { stdout } = await run('rabbitmqctl', ['-q', 'list_queues', 'name', 'type', '--no-table-headers'], {
    timeout: rabbitmqctlTimeoutMs,
  });
  for (const line of stdout.split('\n')) {
    const [name, type] = line.split('\t');
    if (name === queue) return type?.trim();
  }
  return undefined;
}

/** Declares `queue` as a test would find it left by an earlier deployment, then lets go of it. */
export async function declareQueue(queue: string, options: Parameters<Channel['assertQueue']>[1]): Promise<void> {
  const connection = await connect(rabbitmqServerUrl);
  connection.on('error', () => undefined);
  try {
    const channel = await connection.createChannel();
    // A refusal closes the channel: the rejected call carries it.
    channel.on('error', () => undefined);
    await channel.assertQueue(queue, options);
    await channel.close();
  } finally {
    await connection.close();
  }
}
