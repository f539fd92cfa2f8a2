import { setTimeout as delay } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { newId } from '../../common/ids';
import { AppConfig } from '../../config/app-config';
import { Database } from '../../database/database';
import { simulatedNetworkAuthorizations as records } from '../../database/schema';
import {
  type AuthorizationRequest,
  type AuthorizationResult,
  CardNetwork,
  CardNetworkUnavailableError,
} from './card-network.port';
import { recordedAnswer, type SimulatedOutcome, type SimulatedRecord, simulatedOutcome } from './simulated-outcomes';

// A key closed before any authorization reached the network has no amount; ISO 4217 'XXX' means no currency.
const closedUnseenAmount = { amount: 0n, currency: 'XXX' };

/**
 * The built-in card network: answers after a configurable latency, following the test cards of API.md. It keeps
 * its own durable record per idempotency key (as a real network does, so it outlives a killed worker): a key's
 * first final answer is its answer for good, so the card is charged at most once however often it is asked.
 */
@Injectable()
export class CardNetworkSimulator extends CardNetwork {
  constructor(
    private readonly config: AppConfig,
    private readonly database: Database,
  ) {
    super();
  }

  async authorize(request: AuthorizationRequest): Promise<AuthorizationResult> {
    // Counted before the latency: a caller killed while waiting has still asked once.
    const record = await this.reachingRecords(() => this.countAttempt(request));
    if (this.config.payments.cardNetworkLatencyMs > 0) await delay(this.config.payments.cardNetworkLatencyMs);
    const recorded = recordedAnswer(record);
    if (recorded) return recorded;
    const outcome = simulatedOutcome(request.card.number, record.attempts);
    if (outcome.approved === 'unavailable') throw new CardNetworkUnavailableError(outcome.reason);
    return this.reachingRecords(() => this.conclude(request.idempotencyKey, outcome));
  }

  async close(idempotencyKey: string): Promise<AuthorizationResult | null> {
    return this.reachingRecords(() => this.closeRecord(idempotencyKey));
  }

  private async closeRecord(idempotencyKey: string): Promise<AuthorizationResult | null> {
    const [voided] = await this.database.db
      .insert(records)
      .values({ idempotencyKey, reference: newId('net'), outcome: 'voided', ...closedUnseenAmount })
      .onConflictDoUpdate({
        target: records.idempotencyKey,
        set: { outcome: 'voided', updatedAt: sql`now()` },
        setWhere: isNull(records.outcome),
      })
      .returning({ idempotencyKey: records.idempotencyKey });
    if (voided) return null;
    // The key already had its final outcome, which never changes again.
    const record = await this.read(idempotencyKey);
    return record.outcome === 'voided' ? null : recordedAnswer(record);
  }

  /** One more attempt under the key, atomically, so concurrent callers each count and see the stored outcome. */
  private async countAttempt(request: AuthorizationRequest): Promise<SimulatedRecord & { attempts: number }> {
    const [record] = await this.database.db
      .insert(records)
      .values({
        idempotencyKey: request.idempotencyKey,
        reference: newId('net'),
        attempts: 1,
        amount: BigInt(request.amountMinor),
        currency: request.currency,
      })
      .onConflictDoUpdate({
        target: records.idempotencyKey,
        set: { attempts: sql`${records.attempts} + 1`, updatedAt: sql`now()` },
      })
      .returning();
    return record!;
  }

  /** Stores `outcome` as the key's final answer unless another caller (or close) gave it one first; that one wins. */
  private async conclude(
    idempotencyKey: string,
    outcome: Exclude<SimulatedOutcome, { approved: 'unavailable' }>,
  ): Promise<AuthorizationResult> {
    const final = outcome.approved
      ? { outcome: 'approved', authorizationCode: outcome.authorizationCode }
      : { outcome: 'declined', declineCode: outcome.declineCode, declineMessage: outcome.message };
    const [stored] = await this.database.db
      .update(records)
      .set({ ...final, updatedAt: sql`now()` })
      .where(and(eq(records.idempotencyKey, idempotencyKey), isNull(records.outcome)))
      .returning();
    const answer = recordedAnswer(stored ?? (await this.read(idempotencyKey)));
    if (!answer) throw new Error(`network record ${idempotencyKey} holds no answer after one was given`);
    return answer;
  }

  /** The network's records out of reach is the network out of reach: the caller may ask again later. */
  private async reachingRecords<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof CardNetworkUnavailableError) throw error;
      throw new CardNetworkUnavailableError('the simulated network could not reach its records', { cause: error });
    }
  }

  private async read(idempotencyKey: string): Promise<SimulatedRecord> {
    const [record] = await this.database.db
      .select()
      .from(records)
      .where(eq(records.idempotencyKey, idempotencyKey))
      .limit(1);
    if (!record) throw new Error(`no network record for ${idempotencyKey}`);
    return record;
  }
}
