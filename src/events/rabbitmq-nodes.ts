import { type ChannelModel, connect } from 'amqplib';
import { rabbitmqNodeName } from '../config/rabbitmq-urls';
import { errorMessage } from '../common/errors/error-message';
import { withDeadline } from '../common/deadline';

/**
 * One plain amqplib connection to whichever node of `urls` answers first, for short-lived work beside the
 * transports' managed connections (the readiness check, the start-up declaration). Every node is tried at once: a
 * node that is down but does not refuse (a blackholed address) would otherwise use up the whole deadline before the
 * next one is tried. The connections that lose the race are closed as soon as they open. Rejects, naming each node
 * and why (never its credentials), when none answers within `timeoutMs`.
 */
export async function connectToAnyNode(urls: readonly string[], timeoutMs: number): Promise<ChannelModel> {
  // Set once a node has won or the deadline passed: any connection that opens after that is closed at once.
  let decided = false;
  const attempts = urls.map(async (url) => {
    let connection: ChannelModel;
    try {
      connection = await connect(url, { timeout: timeoutMs });
    } catch (error) {
      throw new Error(`${rabbitmqNodeName(url)}: ${errorMessage(error)}`, { cause: error });
    }
    connection.on('error', () => undefined);
    if (decided) {
      await connection.close().catch(() => undefined);
      throw new Error(`${rabbitmqNodeName(url)}: answered too late`);
    }
    decided = true;
    return connection;
  });
  try {
    return await withDeadline(Promise.any(attempts), timeoutMs, 'RabbitMQ');
  } catch (error) {
    const reasons = error instanceof AggregateError ? error.errors.map(errorMessage) : [errorMessage(error)];
    throw new Error(`no RabbitMQ node answered (${reasons.join('; ')})`, { cause: error });
  } finally {
    decided = true;
  }
}
