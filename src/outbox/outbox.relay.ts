import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import { type SQL, sql } from 'drizzle-orm';
import { Client } from 'pg';
import { Counter } from 'prom-client';
import { AppConfig } from '../config/app-config';
import { Database, type Tx } from '../database/database';
import { runStatement, type Statement, statement, statementOf } from '../database/statement';
import { withDeadline } from '../common/deadline';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { type OutboxRowsDispatcher, QueueRegistry } from '../queueing/queue-registry';
import type { TraceCarrier } from '../telemetry/trace-context';
import { dispatchTraced } from './outbox-tracing';
import { Wakeup } from './outbox-wakeup';
import { outboxLimits, outboxNotifyChannel } from './outbox.limits';

export interface OutboxMessage {
  id: string;
  topic: string;
  /** The row's place in outbox order (a bigint, as PostgreSQL prints it). */
  sequence: string;
  payload: Record<string, unknown>;
  /** The trace the message continues (tracing on): the row's, then the relay's span for it (outbox-tracing.ts). */
  traceContext?: TraceCarrier | null;
}

/**
 * What became of one message of a batch: its broker accepted it; it failed (counted as an attempt, retried); or it
 * was held, not attempted because a message it must follow is not sent (it stays unsent for a later pass, and
 * is not counted as an attempt).
 */
export type DispatchOutcome =
  | { readonly status: 'sent' }
  | { readonly status: 'failed'; readonly error: unknown }
  | { readonly status: 'held'; readonly reason: string };

export const sentOutcome: DispatchOutcome = { status: 'sent' };

/** What a dispatcher gets with its batch besides the messages. */
export interface OutboxBatch {
  /** When the batch's broker work must be over (a Date.now() time): what is not accepted by then has failed. */
  readonly deadlineAtMs: number;
  /**
   * Runs one statement on the relay's transaction, the one that holds the batch's rows, so a dispatcher that reads
   * the database does not wait for a pool connection while the relay holds its rows. Refused once the relay has
   * stopped waiting for the batch: the connection goes on to mark the batch and then back to the pool.
   */
  read<Row extends Record<string, unknown>>(query: Statement | SQL): Promise<Row[]>;
}

/**
 * Hands a batch of one topic's messages, in outbox order, to the topic's broker, and resolves once the broker has
 * accepted or refused them: one outcome per message, in the same order. A message may be sent only after every
 * earlier message it must follow (the dispatcher knows which: events of one payment, say) was.
 */
export type OutboxBatchDispatcher = (
  messages: readonly OutboxMessage[],
  batch: OutboxBatch,
) => Promise<readonly DispatchOutcome[]>;

/** What one pass over a topic did: rows it took, what became of them, and the first failure or hold, if any. */
export interface TopicDrainOutcome {
  dueCount: number;
  sentCount: number;
  failedCount: number;
  heldCount: number;
  failure: { error: unknown } | undefined;
  held: { reason: string } | undefined;
}

const nothingDue: TopicDrainOutcome = {
  dueCount: 0,
  sentCount: 0,
  failedCount: 0,
  heldCount: 0,
  failure: undefined,
  held: undefined,
};

/** A dispatcher for a queue's topic: its jobs are added all together, so all are sent or all failed. */
function allOrNothing(addJobs: OutboxRowsDispatcher): OutboxBatchDispatcher {
  return async (messages) => {
    try {
      await addJobs(messages);
      return messages.map(() => sentOutcome);
    } catch (error) {
      return messages.map(() => ({ status: 'failed', error }));
    }
  };
}

function errorText(error: unknown): string {
  return String(error instanceof Error ? error.message : error).slice(0, 500);
}

interface TopicDrain {
  readonly wakeup: Wakeup;
  retryDelayMs: number;
  loop: Promise<void>;
  /** Waiting for rows (after a pass that left none it could take): what the poll wakes. */
  idle: boolean;
}

/**
 * Turns committed outbox rows into broker messages, a batch of one topic's oldest rows at a time, and marks them
 * sent only after their broker accepted them: one statement marks the batch's sent rows, one its failed rows. Each
 * topic has a drain loop of its own (its own window of rows, transaction and backoff), so a broker that fails
 * stalls only its topic: RabbitMQ being down must neither starve nor slow the payment jobs bound for Redis. Several
 * relays can run: `FOR UPDATE SKIP LOCKED` gives each row to one of them at a time, and a message sent twice (a
 * crash, or a lost connection, between send and mark) is harmless because every dispatcher is idempotent (BullMQ
 * jobId = outbox id; events carry their id, and the publisher does not publish again what it saw confirmed).
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelay.name);
  private readonly dispatchers = new Map<string, OutboxBatchDispatcher>();
  private readonly drains = new Map<string, TopicDrain>();
  private readonly stopping = new AbortController();
  private listener: Client | undefined;
  private running = false;
  private polling: Promise<void> = Promise.resolve();
  private readonly relayed: Counter<'topic' | 'outcome'>;

  constructor(
    private readonly database: Database,
    private readonly config: AppConfig,
    queues: QueueRegistry,
    registry: MetricsRegistry,
  ) {
    // Per process: with several relays, each one's share of the rows, and how often one held rows back behind
    // rows another relay held (the per-payment order of events across relays, see EventPublisher).
    this.relayed = new Counter({
      name: 'outbox_rows_relayed_total',
      help: 'Outbox rows this relay handed to their broker, by topic and outcome (sent, failed, held behind earlier rows)',
      labelNames: ['topic', 'outcome'],
      registers: [registry],
    });
    // Declared queues name the outbox topics that feed them (see defineQueue): each gets its dispatcher here.
    queues.onOutboxTopic((topic, addJobs) => this.register(topic, allOrNothing(addJobs)));
  }

  register(topic: string, dispatcher: OutboxBatchDispatcher): void {
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
    this.polling = this.poll();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    for (const drain of this.drains.values()) drain.wakeup.signal();
    await Promise.all([...this.drains.values()].map((drain) => drain.loop));
    await this.polling;
    await this.listener?.end().catch(() => undefined);
  }

  /**
   * One pass over one topic: takes its oldest unsent rows (rows another relay holds are skipped), hands them to the
   * topic's dispatcher as one batch, in outbox order, and marks what it sent and what failed, one statement each.
   */
  async drainTopic(topic: string): Promise<TopicDrainOutcome> {
    const dispatcher = this.dispatchers.get(topic);
    if (!dispatcher) throw new Error(`no outbox dispatcher registered for ${topic}`);
    return this.database.transaction(async (tx) => {
      // The lower bound (the topic's head, from outbox_unsent_topic_idx) is for the planner: without it, when the
      // statistics say many rows are unsent, it may walk the primary key from the start of the table, through every
      // row ever sent, to find a topic with few unsent rows (about 0.5 s a pass over a million rows). The order is
      // outbox.sequence's: a bare `sequence` would name the select list's text column.
      const due = await runStatement<OutboxMessage & Record<string, unknown>>(
        tx,
        statement`
        SELECT id, topic, sequence::text AS sequence, payload, trace_context AS "traceContext" FROM outbox
        WHERE sent_at IS NULL AND topic = ${topic}
          AND sequence >= (SELECT min(sequence) FROM outbox WHERE sent_at IS NULL AND topic = ${topic})
        ORDER BY outbox.sequence LIMIT ${outboxLimits.batchSize} FOR UPDATE SKIP LOCKED`,
      );
      const messages = due.rows;
      if (messages.length === 0) return nothingDue;
      const outcomes = await this.dispatchBatch(topic, dispatcher, messages, tx);
      const sentIds: string[] = [];
      const failedIds: string[] = [];
      const failedErrors: string[] = [];
      const outcome: TopicDrainOutcome = { ...nothingDue, dueCount: messages.length };
      messages.forEach((message, index) => {
        const dispatched = outcomes[index]!;
        if (dispatched.status === 'sent') {
          sentIds.push(message.id);
        } else if (dispatched.status === 'failed') {
          failedIds.push(message.id);
          failedErrors.push(errorText(dispatched.error));
          outcome.failure ??= { error: dispatched.error };
        } else {
          outcome.heldCount += 1;
          outcome.held ??= { reason: dispatched.reason };
        }
      });
      if (sentIds.length > 0)
        await runStatement(
          tx,
          statement`UPDATE outbox SET sent_at = now(), attempts = attempts + 1 WHERE id = ANY(${sentIds}::text[])`,
        );
      if (failedIds.length > 0)
        await tx.execute(sql`
          UPDATE outbox SET attempts = outbox.attempts + 1, last_error = failed.error
          FROM unnest(${sql.param(failedIds)}::text[], ${sql.param(failedErrors)}::text[]) AS failed (id, error)
          WHERE outbox.id = failed.id`);
      return { ...outcome, sentCount: sentIds.length, failedCount: failedIds.length };
    });
  }

  /** drainTopic, counted once its transaction has committed: a pass that throws (rolled back) counts nothing. */
  private async drainCounted(topic: string): Promise<TopicDrainOutcome> {
    const outcome = await this.drainTopic(topic);
    if (outcome.sentCount > 0) this.relayed.inc({ topic, outcome: 'sent' }, outcome.sentCount);
    if (outcome.failedCount > 0) this.relayed.inc({ topic, outcome: 'failed' }, outcome.failedCount);
    if (outcome.heldCount > 0) this.relayed.inc({ topic, outcome: 'held' }, outcome.heldCount);
    return outcome;
  }

  /**
   * The batch's outcomes from its dispatcher, or all failed when it throws, answers wrongly or misses the
   * deadline. The transaction is the dispatcher's to read from only until this returns.
   */
  private async dispatchBatch(
    topic: string,
    dispatcher: OutboxBatchDispatcher,
    messages: readonly OutboxMessage[],
    tx: Tx,
  ): Promise<readonly DispatchOutcome[]> {
    let open = true;
    const batch: OutboxBatch = {
      deadlineAtMs: Date.now() + outboxLimits.batchDeadlineMs,
      read: async <Row extends Record<string, unknown>>(query: Statement | SQL): Promise<Row[]> => {
        // Checked when the statement is asked for: one asked for before the batch ended reaches the connection before
        // the relay's COMMIT (sent only after the marking's round trip); none is sent after, when the connection may
        // be another transaction's.
        if (!open) throw new Error(`the ${topic} batch is over: the relay's transaction is no longer for reading`);
        return (await runStatement<Row>(tx, statementOf(query))).rows;
      },
    };
    try {
      const outcomes = await withDeadline(
        dispatchTraced(topic, messages, (traced) => dispatcher(traced, batch)),
        outboxLimits.batchDeadlineMs + outboxLimits.batchDeadlineGraceMs,
        `dispatch of ${messages.length} ${topic} rows`,
      );
      if (outcomes.length !== messages.length)
        throw new Error(`the ${topic} dispatcher gave ${outcomes.length} outcomes for ${messages.length} rows`);
      return outcomes;
    } catch (error) {
      return messages.map(() => ({ status: 'failed', error }));
    } finally {
      open = false;
    }
  }

  private startDrain(topic: string): void {
    if (this.drains.has(topic)) return;
    const drain: TopicDrain = {
      wakeup: new Wakeup(),
      retryDelayMs: outboxLimits.retryDelayInitialMs,
      loop: Promise.resolve(),
      idle: false,
    };
    this.drains.set(topic, drain);
    drain.loop = this.runDrain(topic, drain);
  }

  private async runDrain(topic: string, drain: TopicDrain): Promise<void> {
    while (this.running) {
      const outcome = await this.drainCounted(topic).catch((error: unknown): TopicDrainOutcome => ({
        ...nothingDue,
        failure: { error },
      }));
      if (outcome.sentCount === 0 && (outcome.failure || outcome.held)) {
        // Only held rows (behind rows another relay holds) mean the broker is fine: a commit's rows go at once.
        // Otherwise commits do not cut the backoff short: a broker that is down would be retried at every commit.
        const retryDelayMs = outcome.failure ? drain.retryDelayMs : outboxLimits.retryDelayInitialMs;
        this.logger.warn(
          { err: outcome.failure?.error, held: outcome.held?.reason, topic },
          `outbox relay stalled on ${topic}; retrying in ${retryDelayMs} ms`,
        );
        if (outcome.failure) {
          await delay(retryDelayMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
          drain.retryDelayMs = Math.min(drain.retryDelayMs * 2, outboxLimits.retryDelayMaxMs);
        } else {
          await drain.wakeup.wait(retryDelayMs);
        }
        continue;
      }
      drain.retryDelayMs = outboxLimits.retryDelayInitialMs;
      // A full window may have more rows behind it, and a pass that failed or held rows after progress is retried
      // at once (the next pass backs off if it makes none); otherwise the topic waits for the next commit or poll.
      if (outcome.dueCount < outboxLimits.batchSize && outcome.sentCount === outcome.dueCount) {
        // Idle until a commit's notification or the poll (below) finds rows for this topic.
        drain.idle = true;
        await drain.wakeup.wait(outboxLimits.idleTopicPassMaxIntervalMs);
        drain.idle = false;
        // Woken, the topic gathers the commits of the next moment into its next batch: a pass costs a transaction
        // and a broker round trip whatever its size, so at a moderate rate one pass a commit is most of the cost.
        if (this.running)
          await delay(outboxLimits.wakeupGatherMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
  }

  /**
   * A commit's notification names the topic it added rows to and wakes that topic's drain, if this process drains
   * it (one without a topic, as a writer of an earlier release sends, wakes every topic); notifications while a
   * topic drains count once.
   */
  private notify(topic?: string): void {
    if (topic) this.drains.get(topic)?.wakeup.signal();
    else for (const drain of this.drains.values()) drain.wakeup.signal();
  }

  /**
   * The fallback for a missed notification (the LISTEN connection down, a commit from a writer that does not
   * notify, rows a stopped relay left): every OUTBOX_POLL_INTERVAL_MS, one statement asks which of this process's
   * idle topics have unsent rows, and only those are woken. A pass per topic and interval would cost a transaction
   * each (ten topics at the default 500 ms: twenty transactions a second while nothing happens).
   */
  private async poll(): Promise<void> {
    while (this.running) {
      await delay(this.config.outboxPollIntervalMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      const idle = [...this.drains].flatMap(([topic, drain]) => (drain.idle ? [topic] : []));
      if (!this.running || idle.length === 0) continue;
      try {
        // One probe of outbox_unsent_topic_idx per topic.
        const due = await this.database.db.execute<{ topic: string }>(sql`
          SELECT topic FROM unnest(${sql.param(idle)}::text[]) AS idle (topic)
          WHERE EXISTS (SELECT 1 FROM outbox WHERE sent_at IS NULL AND outbox.topic = idle.topic)`);
        for (const { topic } of due.rows) this.drains.get(topic)?.wakeup.signal();
      } catch (error) {
        this.logger.warn({ err: error }, 'outbox poll failed; the topics wait for notifications or the next poll');
      }
    }
  }

  /** LISTEN wakes the relay the moment a transaction with outbox rows commits; the poll is only a fallback. */
  private async listen(): Promise<void> {
    while (this.running) {
      // LISTEN holds a session: a direct one, never a pooler's in transaction mode (DATABASE_DIRECT_URL).
      const client = new Client({ connectionString: this.config.database.directUrl });
      // Listened to before connect: an 'error' event with no listener (PostgreSQL crashing or restarting at any
      // moment of this client's life) would be thrown and end the process.
      const closed = new Promise<void>((resolve) => {
        client.on('error', (error) => {
          this.logger.warn({ err: error }, 'outbox LISTEN connection lost');
          resolve();
        });
        client.on('end', () => resolve());
      });
      client.on('notification', (notification) => this.notify(notification.payload));
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
