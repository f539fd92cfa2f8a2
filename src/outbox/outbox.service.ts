import { Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { newId } from '../common/ids';
import type { Tx } from '../database/database';
import { outbox } from '../database/schema';
import { outboxNotifyChannel } from './outbox.limits';

/** Writes outbox rows inside a business transaction; the relay delivers them once it commits. */
@Injectable()
export class OutboxService {
  async add(tx: Tx, topic: string, payload: Record<string, unknown>): Promise<string> {
    const id = newId('obx');
    await tx.insert(outbox).values({ id, topic, payload });
    // NOTIFY is delivered on commit only, so the relay never wakes for a row it cannot see yet.
    await tx.execute(sql`SELECT pg_notify(${outboxNotifyChannel}, '')`);
    return id;
  }
}
