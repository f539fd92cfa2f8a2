import { ServerRMQ } from '@nestjs/microservices';
import type { Channel } from 'amqplib';
import { errorMessage } from '../common/errors/error-message';
import { declarationRefusal, queueTypeOfOptions } from './subscriber-queue';

const jsonLiterals: ReadonlySet<string> = new Set(['true', 'false', 'null']);

/** Whether `pattern` cannot be JSON text: it starts with a letter and is not one of JSON's three literals. */
export function isPlainPattern(pattern: string): boolean {
  const first = pattern.charCodeAt(0);
  const letter = (first >= 65 && first <= 90) || (first >= 97 && first <= 122);
  return letter && !jsonLiterals.has(pattern.trimEnd());
}

/**
 * The subscribers' ServerRMQ. Nest reads a message's pattern with JSON.parse first (a pattern may be an object),
 * and an event's pattern is its type, plain text: every message threw and caught a SyntaxError, stack trace and all
 * (1.7 % of the app's CPU under load). A pattern that cannot be JSON is its own route, as Nest would make it after
 * the failed parse; anything else goes through Nest's reading.
 */
export class EventsServer extends ServerRMQ {
  /** Fails `listen` (startAllMicroservices) while it has not succeeded yet; undefined once it settled. */
  private failStart: ((error: Error) => void) | undefined;

  protected override getRouteFromPattern(pattern: string): string {
    return isPlainPattern(pattern) ? pattern : super.getRouteFromPattern(pattern);
  }

  override listen(callback: (error?: unknown, ...info: unknown[]) => void): Promise<void> {
    let settled = false;
    const settle = (error?: unknown, ...info: unknown[]): void => {
      if (settled) return;
      settled = true;
      this.failStart = undefined;
      callback(error, ...info);
    };
    this.failStart = (error) => settle(error);
    return super.listen(settle);
  }

  /**
   * A setup that throws (RabbitMQ refusing the queue's declaration, which closes the channel) was emitted by the
   * channel wrapper as an 'error' event nothing listens to: the process ended on amqplib's bare message. It is
   * logged instead; a queue RabbitMQ refuses (another queue type: see declarationRefusal) fails the start with the
   * error that says what to do, and, once started, is an error in the log (the wrapper tries again on its next
   * connection).
   */
  override async setupChannel(channel: Channel, callback: () => void): Promise<void> {
    // RabbitMQ closing the channel (a refusal) is also emitted on it: unheard, amqplib ends the whole connection.
    // The call that was refused rejects with the same error, which is acted on below.
    channel.on('error', () => undefined);
    try {
      await super.setupChannel(channel, callback);
    } catch (error) {
      // The channel closed under the setup (a shutdown, a lost connection): the wrapper sets it up again.
      if (error instanceof Error && error.name === 'IllegalOperationError') return;
      const refusal = declarationRefusal(error, this.queue, queueTypeOfOptions(this.queueOptions));
      const message = `event subscriber ${this.queue} setup failed: ${errorMessage(refusal ?? error)}`;
      if (!refusal) {
        this.logger.warn(message);
        return;
      }
      this.logger.error(message);
      this.failStart?.(refusal);
    }
  }
}
