import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { withDeadline } from '../common/deadline';
import { outboxLimits, outboxNotifyChannel } from './outbox.limits';

export interface OutboxMessage {
  id: string;
  topic: string;
  payload: Record<string, unknown>;
}

/** Hands one message to its broker; resolves only once the broker has accepted it. */
export type OutboxDispatcher = (message: OutboxMessage) => Promise<void>;

/**
 * Turns committed outbox rows into broker messages, in outbox order, and marks each sent only after its broker
 * accepted it. Several relays can run: `FOR UPDATE SKIP LOCKED` gives each row to one of them at a time, and
 * a message sent twice (a crash between send and mark) is harmless because every dispatcher is idempotent
 * (BullMQ jobId = outbox id; events carry their id).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly dispatchers = new Map<string, OutboxDispatcher>();
  private listener: Client | undefined;
  private running = false;
  private wake: (() => void) | undefined;
  // A commit notified while the relay was busy draining must not be slept through.
  private wakePending = false;
  private loop: Promise<void> | undefined;
  private retryDelayMs: number = outboxLimits.retryDelayInitialMs;

  constructor(
    private readonly database: Database,
    private readonly config: AppConfig,
  ) {}

  register(topic: string, dispatcher: OutboxDispatcher): void {
    this.dispatchers.set(topic, dispatcher);
  }

  onApplicationBootstrap(): void {
    if (this.config.role !== 'all' && this.config.role !== 'relay') return;
    this.running = true;
    void this.listen();
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.notify();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
  }

  /**
   * Delivers every row that is due now, in outbox order per topic; returns how many were sent. A broker that
   * fails stalls only its own topic: RabbitMQ being down must not hold back payment jobs bound for Redis.
   */
  async drainOnce(): Promise<number> {
    return this.database.transaction(async (tx) => {
      const due = await tx.execute<OutboxMessage & Record<string, unknown>>(sql`
        SELECT id, topic, payload FROM outbox WHERE sent_at IS NULL
        ORDER BY sequence LIMIT ${outboxLimits.batchSize} FOR UPDATE SKIP LOCKED`);
      const stalledTopics = new Set<string>();
      let firstFailure: unknown;
      let sent = 0;
      for (const message of due.rows) {
        const dispatcher = this.dispatchers.get(message.topic);
        if (!dispatcher || stalledTopics.has(message.topic)) continue;
        try {
          await withDeadline(dispatcher(message), outboxLimits.dispatchTimeoutMs, `dispatch of ${message.topic}`);
        } catch (error) {
          stalledTopics.add(message.topic);
          firstFailure ??= error;
          await tx.execute(sql`
            UPDATE outbox SET attempts = attempts + 1, last_error = ${String(error instanceof Error ? error.message : error).slice(0, 500)}
            WHERE id = ${message.id}`);
          continue;
        }
        await tx.execute(sql`UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ${message.id}`);
        sent += 1;
      }
      if (sent === 0 && firstFailure !== undefined) throw new RelayStalled(firstFailure);
      return sent;
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      let sent = 0;
      try {
        sent = await this.drainOnce();
        this.retryDelayMs = outboxLimits.retryDelayInitialMs;
      } catch (error) {
        const cause = error instanceof RelayStalled ? error.cause : error;
        this.logger.warn({ err: cause }, `outbox relay stalled; retrying in ${this.retryDelayMs} ms`);
        await this.sleep(this.retryDelayMs);
        this.retryDelayMs = Math.min(this.retryDelayMs * 2, outboxLimits.retryDelayMaxMs);
        continue;
      }
      if (sent === 0) await this.sleep(this.config.outboxPollIntervalMs);
    }
  }

  private notify(): void {
    this.wakePending = true;
    this.wake?.();
  }

  private sleep(delayMs: number): Promise<void> {
    if (this.wakePending) {
      this.wakePending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        this.wakePending = false;
        resolve();
      };
      const timer = setTimeout(done, delayMs);
      this.wake = done;
    });
  }

  /** LISTEN wakes the relay the moment a transaction with outbox rows commits; the poll is only a fallback. */
  private async listen(): Promise<void> {
    while (this.running) {
      const client = new Client({ connectionString: this.config.database.url });
      try {
        await client.connect();
        this.listener = client;
        client.on('notification', () => this.notify());
        const closed = new Promise<void>((resolve) => {
          client.on('error', () => resolve());
          client.on('end', () => resolve());
        });
        await client.query(`LISTEN ${outboxNotifyChannel}`);
        this.notify();
        await closed;
      } catch (error) {
        this.logger.warn({ err: error }, 'outbox LISTEN connection failed');
      }
      await client.end().catch(() => undefined);
      if (this.running) await new Promise((resolve) => setTimeout(resolve, outboxLimits.listenReconnectDelayMs));
    }
  }
}

class RelayStalled extends Error {
  constructor(override readonly cause: unknown) {
    super('outbox relay stalled');
  }
}
