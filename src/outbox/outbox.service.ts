import { Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { newId } from '../common/ids';
import type { Tx } from '../database/database';
import { outboxNotifyChannel } from './outbox.limits';

/** One row for the relay: the topic that says where it goes and what the dispatcher needs (ids only). */
export interface OutboxRowInput {
  topic: string;
  payload: Record<string, unknown>;
}

/** Writes outbox rows inside a business transaction; the relay delivers them once it commits. */
@Injectable()
export class OutboxService {
  // Transactions that have already asked for a wake-up: one NOTIFY per transaction, however many rows it adds.
  private readonly notified = new WeakSet<Tx>();

  async add(tx: Tx, topic: string, payload: Record<string, unknown>): Promise<string> {
    const [id] = await this.addMany(tx, [{ topic, payload }]);
    return id!;
  }

  /**
   * Adds the rows in one statement, in the order given (their `sequence` follows it). The first rows a transaction
   * adds also ask for the relay's wake-up, in the same statement.
   */
  async addMany(tx: Tx, rows: readonly OutboxRowInput[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const ids = rows.map(() => newId('obx'));
    const insert = sql`
      INSERT INTO outbox (id, topic, payload)
      SELECT row.id, row.topic, row.payload
      FROM unnest(${sql.param(ids)}::text[], ${sql.param(rows.map((row) => row.topic))}::text[],
                  ${sql.param(rows.map((row) => JSON.stringify(row.payload)))}::jsonb[]) WITH ORDINALITY
        AS row(id, topic, payload, position)
      ORDER BY row.position`;
    if (this.notified.has(tx)) {
      await tx.execute(insert);
    } else {
      this.notified.add(tx);
      // NOTIFY is delivered on commit only, so the relay never wakes for a row it cannot see yet. Every commit
      // that notifies takes a lock shared by all of them, so one per transaction, not one per row.
      await tx.execute(sql`WITH added AS (${insert} RETURNING 1)
        SELECT pg_notify(${outboxNotifyChannel}, '') FROM (SELECT count(*) FROM added) AS rows_added`);
    }
    return ids;
  }
}
