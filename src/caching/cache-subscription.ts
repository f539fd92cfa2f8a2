import type { LoggerService } from '@nestjs/common';
import { withDeadline } from '../common/deadline';
import { errorMessage } from '../common/errors/error-message';
import type { CacheRedis } from './cache-redis';
import { connectWithin } from './cache-store';
import { cacheStartupWaitMs } from './caching.limits';

export interface SubscriptionHandlers {
  /** A message published on the channel. */
  message(message: string): void;
  /** The connection came back after a loss: messages published meanwhile were missed. */
  reconnected(): void;
}

/**
 * One channel of the cache Redis, on a connection of its own (a subscribed connection can run no other command).
 * Subscribes on the first connection and again, by the client itself, after every reconnection; a caller that must
 * not rely on messages alone hears of each reconnection, since messages published while it was away are lost.
 */
export class CacheSubscription {
  private subscribed = false;
  private subscribing: Promise<void> | undefined;
  private connectedBefore = false;

  private constructor(
    private readonly client: CacheRedis,
    private readonly channel: string,
    private readonly handlers: SubscriptionHandlers,
    private readonly logger: LoggerService,
  ) {
    client.on('ready', () => this.connected());
  }

  /**
   * Opens the subscription. Waits, up to `cacheStartupWaitMs`, until it is live when `waitForIt`; either way the
   * client keeps trying in the background.
   */
  static async open(
    client: CacheRedis,
    channel: string,
    handlers: SubscriptionHandlers,
    logger: LoggerService,
    { waitForIt }: { waitForIt: boolean },
  ): Promise<CacheSubscription> {
    const subscription = new CacheSubscription(client, channel, handlers, logger);
    const connecting = connectWithin(client, logger, {
      what: 'cache Redis subscriber',
      meanwhile: 'in-process API keys expire on their own',
    });
    if (!waitForIt) return subscription;
    await connecting;
    const subscribing = subscription.subscribing ?? Promise.resolve();
    await withDeadline(subscribing, cacheStartupWaitMs, 'subscribing').catch(() => undefined);
    return subscription;
  }

  /** Whether messages reach this subscription now. */
  get live(): boolean {
    return this.subscribed && this.client.isReady;
  }

  close(): void {
    this.client.destroy();
  }

  private connected(): void {
    if (this.connectedBefore) this.handlers.reconnected();
    this.connectedBefore = true;
    // After the first success the client resubscribes by itself on every reconnection.
    if (!this.subscribed && !this.subscribing) this.subscribing = this.subscribe();
  }

  private async subscribe(): Promise<void> {
    try {
      await this.client.subscribe(this.channel, (message) => this.handlers.message(message));
      this.subscribed = true;
    } catch (error) {
      this.logger.warn(`subscribing to ${this.channel} failed, retried on reconnection: ${errorMessage(error)}`);
    } finally {
      this.subscribing = undefined;
    }
  }
}
