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
 * Deletes a test app's events exchange and subscriber queues once nothing uses them any more: `ifUnused` leaves
 * them to the last of several apps sharing them (APP_ROLE tests), which deletes them when it closes.
 */
export async function deleteEventsTopology(exchange: string, queues: readonly string[]): Promise<void> {
  const connection = await connect(rabbitmqServerUrl);
  connection.on('error', () => undefined);
  try {
    for (const queue of queues)
      await onChannel(connection, (channel) => channel.deleteQueue(queue, { ifUnused: true }));
    await onChannel(connection, (channel) => channel.deleteExchange(exchange, { ifUnused: true }));
  } finally {
    await connection.close();
  }
}
