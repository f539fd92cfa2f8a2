import { Injectable } from '@nestjs/common';
import type { Context } from '@opentelemetry/api';
import { sql } from 'drizzle-orm';
import { CombinedWrite } from '../database/combined-write';
import { returning, type Statement, sqlStringLiteral, statement } from '../database/statement';
import { newId } from '../common/ids';
import { Database, type Tx } from '../database/database';
import { activeTraceContext, carrierOf, isTracingOn } from '../telemetry/trace-context';
import { outboxLimits, outboxNotifyChannel } from './outbox.limits';

/** One row for the relay: the topic that says where it goes and what the dispatcher needs (ids only). */
export interface OutboxRowInput {
  topic: string;
  payload: Record<string, unknown>;
  /**
   * The trace the row's job or event continues, when tracing is on: a batch that writes for many callers passes
   * each caller's; the active context is taken otherwise.
   */
  traceContext?: Context | undefined;
}

interface SweptBatch extends Record<string, unknown> {
  swept: number;
  scanned: number;
  last: string | null;
  allOld: boolean;
}

/** Writes outbox rows inside a business transaction; the relay delivers them once it commits. */
@Injectable()
export class OutboxService {
  // The topics each transaction has already asked a wake-up for: one NOTIFY per topic and transaction, however many
  // rows it adds.
  private readonly notified = new WeakMap<Tx, Set<string>>();

  constructor(private readonly database: Database) {}

  async add(tx: Tx, topic: string, payload: Record<string, unknown>): Promise<string> {
    const [id] = await this.addMany(tx, [{ topic, payload }]);
    return id!;
  }

  /**
   * Adds the rows in one statement, in the order given (their `sequence` follows it). The first rows of a topic a
   * transaction adds also ask for that topic's relay wake-up, in the same statement.
   */
  async addMany(tx: Tx, rows: readonly OutboxRowInput[]): Promise<string[]> {
    const writes = new CombinedWrite(tx);
    const ids = this.addManyTo(writes, rows);
    await writes.run();
    return ids;
  }

  /** `addMany` as a part of a combined write (sent with the transaction's other writes in one statement). */
  addManyTo(writes: CombinedWrite, rows: readonly OutboxRowInput[]): string[] {
    if (rows.length === 0) return [];
    const { ids, insert } = outboxInsert(rows);
    if (!this.needsNotify(writes.tx, rows)) writes.add(insert);
    else writes.add(returning(insert, 'topic'), { tail: notifyTopicsOfRows });
    return ids;
  }

  /**
   * Deletes the rows sent more than `retentionMs` ago, oldest first, a batch per statement; answers how many. It walks
   * the table in `sequence` order from its start and stops at the first batch holding a row created within the
   * retention (every row after it is younger), so a sweep reads the old rows once and never the whole table. Unsent
   * rows stay whatever their age: they are the relay's (a topic held up by its broker, say).
   */
  async sweepSent(retentionMs: number, batchSize: number = outboxLimits.sweepBatchSize): Promise<number> {
    let swept = 0;
    let after = '0';
    for (;;) {
      const { rows } = await this.database.db.execute<SweptBatch>(sql`
        WITH cutoff AS (SELECT now() - ${retentionMs}::float8 * interval '1 millisecond' AS at),
        scanned AS (
          SELECT sequence, sent_at, created_at FROM outbox
          WHERE sequence > ${after}::bigint ORDER BY sequence LIMIT ${batchSize}
        ), swept AS (
          DELETE FROM outbox USING scanned, cutoff
          WHERE outbox.sequence = scanned.sequence AND scanned.sent_at < cutoff.at
          RETURNING 1
        )
        SELECT (SELECT count(*) FROM swept)::int AS swept, (SELECT count(*) FROM scanned)::int AS scanned,
          (SELECT max(sequence) FROM scanned)::text AS last,
          coalesce((SELECT bool_and(created_at < cutoff.at) FROM scanned, cutoff), false) AS "allOld"`);
      const batch = rows[0]!;
      swept += batch.swept;
      if (batch.scanned < batchSize || !batch.allOld || batch.last === null) return swept;
      after = batch.last;
    }
  }

  /**
   * Whether rows of a topic the transaction has not asked a wake-up for are among `rows` (noted as asked for).
   * NOTIFY is delivered on commit only, so the relay never wakes for a row it cannot see yet. Every commit that
   * notifies takes a lock shared by all of them, so one per topic and transaction, not one per row; the payload
   * names the topic, so only that topic's drain wakes (PostgreSQL folds a transaction's identical notifications).
   */
  private needsNotify(tx: Tx, rows: readonly OutboxRowInput[]): boolean {
    const notified = this.notified.get(tx) ?? new Set<string>();
    this.notified.set(tx, notified);
    const unnotified = rows.filter((row) => !notified.has(row.topic));
    for (const row of unnotified) notified.add(row.topic);
    return unnotified.length > 0;
  }
}

function outboxInsert(rows: readonly OutboxRowInput[]): { ids: string[]; insert: Statement } {
  const ids = rows.map(() => newId('obx'));
  if (isTracingOn()) return { ids, insert: tracedOutboxInsert(ids, rows) };
  const insert = statement`
    INSERT INTO outbox (id, topic, payload)
    SELECT row.id, row.topic, row.payload
    FROM unnest(${ids}::text[], ${rows.map((row) => row.topic)}::text[],
                ${rows.map((row) => JSON.stringify(row.payload))}::jsonb[]) WITH ORDINALITY
      AS row(id, topic, payload, position)
    ORDER BY row.position`;
  return { ids, insert };
}

/** The insert with each row's trace context (W3C traceparent and tracestate, null for a row with none). */
function tracedOutboxInsert(ids: readonly string[], rows: readonly OutboxRowInput[]): Statement {
  const active = activeTraceContext();
  const carriers = rows.map((row) => {
    const carrier = carrierOf(row.traceContext ?? active);
    return carrier ? JSON.stringify(carrier) : null;
  });
  return statement`
    INSERT INTO outbox (id, topic, payload, trace_context)
    SELECT row.id, row.topic, row.payload, row.trace_context
    FROM unnest(${ids}::text[], ${rows.map((row) => row.topic)}::text[],
                ${rows.map((row) => JSON.stringify(row.payload))}::jsonb[],
                ${carriers}::jsonb[]) WITH ORDINALITY
      AS row(id, topic, payload, trace_context, position)
    ORDER BY row.position`;
}

/** One wake-up per topic among the rows the insert returned (their `topic` column), as a combined write's tail. */
const notifyTopicsOfRows = `(SELECT count(pg_notify(${sqlStringLiteral(outboxNotifyChannel)}, topic)) FROM (SELECT DISTINCT topic FROM {rows}) AS topics_added)`;
