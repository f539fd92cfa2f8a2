import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { withDeadline } from '../common/deadline';
import { QueueRegistry } from '../queueing/queue-registry';
import { Wakeup } from './outbox-wakeup';
import { outboxLimits, outboxNotifyChannel } from './outbox.limits';

export interface OutboxMessage {
  id: string;
  topic: string;
  payload: Record<string, unknown>;
}

/** Hands one message to its broker; resolves only once the broker has accepted it. */
export type OutboxDispatcher = (message: OutboxMessage) => Promise<void>;

/** What one pass over a topic did: rows it took, rows sent, and the failure that ended it early, if any. */
export interface TopicDrainOutcome {
  dueCount: number;
  sentCount: number;
  failure: { error: unknown } | undefined;
}

interface TopicDrain {
  readonly wakeup: Wakeup;
  retryDelayMs: number;
  loop: Promise<void>;
}

/**
 * Turns committed outbox rows into broker messages, in outbox order per topic, and marks each sent only after
 * its broker accepted it. Each topic has a drain loop of its own (its own window of rows, transaction and
 * backoff), so a broker that fails stalls only its topic: RabbitMQ being down must neither starve nor slow the
 * payment jobs bound for Redis. Several relays can run: `FOR UPDATE SKIP LOCKED` gives each row to one of them at
 * a time, and a message sent twice (a crash between send and mark) is harmless because every dispatcher is
 * idempotent (BullMQ jobId = outbox id; events carry their id).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly dispatchers = new Map<string, OutboxDispatcher>();
  private readonly drains = new Map<string, TopicDrain>();
  private readonly stopping = new AbortController();
  private listener: Client | undefined;
  private running = false;

  constructor(
    private readonly database: Database,
    private readonly config: AppConfig,
    queues: QueueRegistry,
  ) {
    // Declared queues name the outbox topics that feed them (see defineQueue): each gets its dispatcher here.
    queues.onOutboxTopic((topic, dispatch) => this.register(topic, dispatch));
  }

  register(topic: string, dispatcher: OutboxDispatcher): void {
    this.dispatchers.set(topic, dispatcher);
    if (this.running) this.startDrain(topic);
  }

  /** The topics this process has dispatchers for (whether or not its role runs the relay). */
  get topics(): string[] {
    return [...this.dispatchers.keys()];
  }

  onApplicationBootstrap(): void {
    if (this.config.role !== 'all' && this.config.role !== 'relay') return;
    this.running = true;
    void this.listen();
    for (const topic of this.dispatchers.keys()) this.startDrain(topic);
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    for (const drain of this.drains.values()) drain.wakeup.signal();
    await Promise.all([...this.drains.values()].map((drain) => drain.loop));
    await this.listener?.end().catch(() => undefined);
  }

  /**
   * One pass over one topic: takes its oldest unsent rows (rows another relay holds are skipped) and hands them to
   * the topic's broker in outbox order, stopping at the first failure so that nothing overtakes the failed row.
   */
  async drainTopic(topic: string): Promise<TopicDrainOutcome> {
    const dispatcher = this.dispatchers.get(topic);
    if (!dispatcher) throw new Error(`no outbox dispatcher registered for ${topic}`);
    return this.database.transaction(async (tx) => {
      // The lower bound (the topic's head, from outbox_unsent_topic_idx) is for the planner: without it, when the
      // statistics say many rows are unsent, it may walk the primary key from the start of the table, through every
      // row ever sent, to find a topic with few unsent rows (about 0.5 s a pass over a million rows).
      const due = await tx.execute<OutboxMessage & Record<string, unknown>>(sql`
        SELECT id, topic, payload FROM outbox WHERE sent_at IS NULL AND topic = ${topic}
          AND sequence >= (SELECT min(sequence) FROM outbox WHERE sent_at IS NULL AND topic = ${topic})
        ORDER BY sequence LIMIT ${outboxLimits.batchSize} FOR UPDATE SKIP LOCKED`);
      let sentCount = 0;
      for (const message of due.rows) {
        try {
          await withDeadline(dispatcher(message), outboxLimits.dispatchTimeoutMs, `dispatch of ${topic}`);
        } catch (error) {
          await tx.execute(sql`
            UPDATE outbox SET attempts = attempts + 1, last_error = ${String(error instanceof Error ? error.message : error).slice(0, 500)}
            WHERE id = ${message.id}`);
          return { dueCount: due.rows.length, sentCount, failure: { error } };
        }
        await tx.execute(sql`UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ${message.id}`);
        sentCount += 1;
      }
      return { dueCount: due.rows.length, sentCount, failure: undefined };
    });
  }

  private startDrain(topic: string): void {
    if (this.drains.has(topic)) return;
    const drain: TopicDrain = {
      wakeup: new Wakeup(),
      retryDelayMs: outboxLimits.retryDelayInitialMs,
      loop: Promise.resolve(),
    };
    this.drains.set(topic, drain);
    drain.loop = this.runDrain(topic, drain);
  }

  private async runDrain(topic: string, drain: TopicDrain): Promise<void> {
    while (this.running) {
      const outcome = await this.drainTopic(topic).catch((error: unknown): TopicDrainOutcome => ({
        dueCount: 0,
        sentCount: 0,
        failure: { error },
      }));
      if (outcome.failure && outcome.sentCount === 0) {
        this.logger.warn(
          { err: outcome.failure.error, topic },
          `outbox relay stalled on ${topic}; retrying in ${drain.retryDelayMs} ms`,
        );
        // Commits do not cut the backoff short: a broker that is down would otherwise be retried at every commit.
        await delay(drain.retryDelayMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
        drain.retryDelayMs = Math.min(drain.retryDelayMs * 2, outboxLimits.retryDelayMaxMs);
        continue;
      }
      drain.retryDelayMs = outboxLimits.retryDelayInitialMs;
      // A full window may have more rows behind it, and a failure after progress is retried at once (the next
      // pass backs off if it makes none); otherwise the topic waits for the next commit or poll.
      if (!outcome.failure && outcome.dueCount < outboxLimits.batchSize)
        await drain.wakeup.wait(this.config.outboxPollIntervalMs);
    }
  }

  /** One commit's notification wakes every topic; notifications while a topic drains count once. */
  private notify(): void {
    for (const drain of this.drains.values()) drain.wakeup.signal();
  }

  /** LISTEN wakes the relay the moment a transaction with outbox rows commits; the poll is only a fallback. */
  private async listen(): Promise<void> {
    while (this.running) {
      const client = new Client({ connectionString: this.config.database.url });
      // Listened to before connect: an 'error' event with no listener (PostgreSQL crashing or restarting at any
      // moment of this client's life) would be thrown and end the process.
      const closed = new Promise<void>((resolve) => {
        client.on('error', (error) => {
          this.logger.warn({ err: error }, 'outbox LISTEN connection lost');
          resolve();
        });
        client.on('end', () => resolve());
      });
      client.on('notification', () => this.notify());
      try {
        await client.connect();
        this.listener = client;
        await client.query(`LISTEN ${outboxNotifyChannel}`);
        this.notify();
        await closed;
      } catch (error) {
        this.logger.warn({ err: error }, 'outbox LISTEN connection failed');
      }
      await client.end().catch(() => undefined);
      if (this.running)
        await delay(outboxLimits.listenReconnectDelayMs, undefined, { signal: this.stopping.signal }).catch(
          () => undefined,
        );
    }
  }
}
