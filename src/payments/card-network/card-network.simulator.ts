import { setTimeout as delay } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { newId } from '../../common/ids';
import { AppConfig } from '../../config/app-config';
import { Database } from '../../database/database';
import { GroupCommit, type ItemOutcome } from '../../database/group-commit';
import { returning, runStatement, statement } from '../../database/statement';
import { simulatedNetworkAuthorizations as records } from '../../database/schema';
import {
  type AuthorizationRequest,
  type AuthorizationResult,
  CardNetwork,
  CardNetworkUnavailableError,
  captureKeyOf,
  type NetworkDispute,
  type NetworkDisputeStatus,
  type NetworkMovement,
  type NetworkMovementRequest,
  type SettlementReportLine,
} from './card-network.port';
import { disputedTestCardNumber } from './card-network.limits';
import { SimulatedNetworkBooks } from './simulated-network-books';
import { recordedAnswer, type SimulatedOutcome, type SimulatedRecord, simulatedOutcome } from './simulated-outcomes';

// A key closed before any authorization reached the network has no amount; ISO 4217 'XXX' means no currency.
const closedUnseenAmount = { amount: 0n, currency: 'XXX' };

type FinalOutcome = Exclude<SimulatedOutcome, { approved: 'unavailable' }>;

/** A key's record with the attempts counted so far. */
type CountedRecord = SimulatedRecord & { attempts: number };

/** A record as the raw statements return it (recordColumns). */
type RecordRow = CountedRecord & { idempotencyKey: string } & Record<string, unknown>;

/** A final answer to store under a key (CardNetworkSimulator.conclude). */
interface Conclusion {
  idempotencyKey: string;
  outcome: FinalOutcome;
}

/** Batches of the simulator's records (see GroupCommit): a statement per batch, two batches writing at once. */
const simulatorLimits = { maxBatch: 200, maxInFlight: 2 };

/** What a record's raw statement returns (the table aliased `record`), named as the Drizzle row is (SimulatedRecord, with its key). */
const recordColumns = `record.idempotency_key AS "idempotencyKey", record.reference, record.attempts,
  record.outcome, record.authorization_code AS "authorizationCode", record.decline_code AS "declineCode",
  record.decline_message AS "declineMessage"`;

/** The columns of a final answer. */
function finalColumns(outcome: FinalOutcome): {
  outcome: string;
  authorizationCode?: string;
  declineCode?: string;
  declineMessage?: string;
} {
  return outcome.approved
    ? { outcome: 'approved', authorizationCode: outcome.authorizationCode }
    : { outcome: 'declined', declineCode: outcome.declineCode, declineMessage: outcome.message };
}

/**
 * The built-in card network: answers after a configurable latency, following the test cards of API.md. It keeps
 * its own durable record per idempotency key (as a real network does, so it outlives a killed worker): a key's
 * first final answer is its answer for good, so the card is charged at most once however often it is asked.
 */
@Injectable()
export class CardNetworkSimulator extends CardNetwork {
  // The records of the authorizations asked at once are written together, as a network's would be: one statement
  // counts the attempts of a batch (storing the first attempts' answers with them), one stores the later answers.
  private readonly attempts = new GroupCommit<AuthorizationRequest, CountedRecord>({
    ...simulatorLimits,
    name: 'card-network.count-attempts',
    runBatch: (requests) => this.countAttempts(requests),
    runAlone: (request) => this.countAttempt(request),
  });
  // The captures of sales approved at once, journaled together (see SimulatedNetworkBooks.recordCaptures).
  private readonly saleCaptures = new GroupCommit<NetworkMovementRequest, NetworkMovement>({
    ...simulatorLimits,
    name: 'card-network.capture-sales',
    runBatch: (requests) => this.books.recordCaptures(requests),
    runAlone: (request) => this.books.record('capture', request),
  });
  private readonly conclusions = new GroupCommit<Conclusion, AuthorizationResult>({
    ...simulatorLimits,
    name: 'card-network.conclude',
    runBatch: (conclusions) => this.concludeMany(conclusions),
    runAlone: ({ idempotencyKey, outcome }) => this.conclude(idempotencyKey, outcome),
  });

  constructor(
    private readonly config: AppConfig,
    private readonly database: Database,
    private readonly books: SimulatedNetworkBooks,
  ) {
    super();
  }

  async authorize(request: AuthorizationRequest): Promise<AuthorizationResult> {
    // Counted before the latency: a caller killed while waiting has still asked once. A key's first attempt stores
    // its final answer in the statement that counts it (firstAnswerOf), so the usual authorization costs the network
    // one statement, not two; a key seen before, or one its first attempt left without an answer, goes on below.
    const record = await this.reachingRecords(() => this.attempts.submit(request));
    if (this.config.payments.cardNetworkLatencyMs > 0) await delay(this.config.payments.cardNetworkLatencyMs);
    const recorded = recordedAnswer(record);
    if (recorded) return this.captureIfSale(request, await this.disputeIfAsked(request, recorded));
    const outcome = simulatedOutcome(request.card.number, record.attempts);
    if (outcome.approved === 'unavailable') throw new CardNetworkUnavailableError(outcome.reason);
    const answer = await this.reachingRecords(() =>
      this.conclusions.submit({ idempotencyKey: request.idempotencyKey, outcome }),
    );
    return this.captureIfSale(request, await this.disputeIfAsked(request, answer));
  }

  /**
   * An approved sale captures the whole amount at once, recorded under the payment's capture key (a repeated sale
   * finds the first record). The disputed test card's capture goes after its dispute was scheduled, through the
   * path that starts the dispute's clock.
   */
  private async captureIfSale(
    request: AuthorizationRequest,
    answer: AuthorizationResult,
  ): Promise<AuthorizationResult> {
    if (!answer.approved || !request.capture) return answer;
    const movement: NetworkMovementRequest = {
      paymentId: request.paymentId,
      authorizationReference: answer.networkReference,
      amountMinor: request.amountMinor,
      currency: request.currency,
      idempotencyKey: captureKeyOf(request.paymentId),
    };
    const capture = await this.reachingRecords(() =>
      request.card.number === disputedTestCardNumber
        ? this.books.record('capture', movement)
        : this.saleCaptures.submit(movement),
    );
    return { ...answer, capture };
  }

  /** The disputed test card, approved: its dispute is scheduled (once) to open after the capture. */
  private async disputeIfAsked(
    request: AuthorizationRequest,
    answer: AuthorizationResult,
  ): Promise<AuthorizationResult> {
    if (answer.approved && request.card.number === disputedTestCardNumber) {
      await this.reachingRecords(() =>
        this.books.scheduleDispute(request.paymentId, answer.networkReference, request.currency),
      );
    }
    return answer;
  }

  capture(request: NetworkMovementRequest): Promise<NetworkMovement> {
    return this.reachingRecords(() => this.books.record('capture', request));
  }

  refund(request: NetworkMovementRequest): Promise<NetworkMovement> {
    return this.reachingRecords(() => this.books.record('refund', request));
  }

  openedDisputes(limit: number): Promise<NetworkDispute[]> {
    return this.reachingRecords(() => this.books.openedDisputes(limit));
  }

  acknowledgeDispute(networkReference: string, disputeId: string): Promise<void> {
    return this.reachingRecords(() => this.books.acknowledgeDispute(networkReference, disputeId));
  }

  submitDisputeEvidence(networkReference: string, text: string): Promise<NetworkDisputeStatus> {
    return this.reachingRecords(() => this.books.submitEvidence(networkReference, text));
  }

  acceptDispute(networkReference: string): Promise<NetworkDisputeStatus> {
    return this.reachingRecords(() => this.books.accept(networkReference));
  }

  disputeStatus(networkReference: string): Promise<NetworkDisputeStatus> {
    return this.reachingRecords(() => this.books.status(networkReference));
  }

  /** Throws RangeError for a day that is not YYYY-MM-DD (the caller's validation let it through). */
  async settlementReport(day: string): Promise<SettlementReportLine[]> {
    try {
      return await this.books.report(day);
    } catch (error) {
      if (error instanceof RangeError) throw error;
      throw new CardNetworkUnavailableError('the simulated network could not read its journal', { cause: error });
    }
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
  private async countAttempt(request: AuthorizationRequest): Promise<CountedRecord> {
    const [record] = await this.database.db
      .insert(records)
      .values({
        idempotencyKey: request.idempotencyKey,
        reference: newId('net'),
        attempts: 1,
        amount: BigInt(request.amountMinor),
        currency: request.currency,
        ...this.firstAnswerOf(request),
      })
      .onConflictDoUpdate({
        target: records.idempotencyKey,
        set: { attempts: sql`${records.attempts} + 1`, updatedAt: sql`now()` },
      })
      .returning();
    return record!;
  }

  /**
   * `countAttempt` for a batch, in one statement. A key asked twice in one batch (its job running twice at once)
   * would be one row updated twice by one statement, which PostgreSQL refuses: such a batch is counted one
   * request at a time instead (GroupCommit's fallback).
   */
  private async countAttempts(requests: readonly AuthorizationRequest[]): Promise<ItemOutcome<CountedRecord>[]> {
    const keys = requests.map((request) => request.idempotencyKey);
    if (new Set(keys).size !== keys.length) throw new Error('a key is asked twice in one batch');
    const firsts = requests.map((request) => this.firstAnswerOf(request));
    const counted = await runStatement<RecordRow>(
      this.database.db,
      returning(
        statement`
      INSERT INTO simulated_network_authorizations AS record
        (idempotency_key, reference, attempts, amount, currency, outcome, authorization_code, decline_code,
         decline_message)
      SELECT asked.idempotency_key, asked.reference, 1, asked.amount, asked.currency, asked.outcome,
             asked.authorization_code, asked.decline_code, asked.decline_message
      FROM unnest(${keys}::text[], ${requests.map(() => newId('net'))}::text[],
                  ${requests.map((request) => String(request.amountMinor))}::bigint[],
                  ${requests.map((request) => request.currency)}::text[],
                  ${firsts.map((first) => first.outcome ?? null)}::text[],
                  ${firsts.map((first) => first.authorizationCode ?? null)}::text[],
                  ${firsts.map((first) => first.declineCode ?? null)}::text[],
                  ${firsts.map((first) => first.declineMessage ?? null)}::text[])
        AS asked(idempotency_key, reference, amount, currency, outcome, authorization_code, decline_code,
                 decline_message)
      ORDER BY asked.idempotency_key
      ON CONFLICT (idempotency_key) DO UPDATE SET attempts = record.attempts + 1, updated_at = now()`,
        recordColumns,
      ),
    );
    const byKey = new Map(counted.rows.map((row) => [row.idempotencyKey, row]));
    return keys.map((key): ItemOutcome<CountedRecord> => {
      const record = byKey.get(key);
      return record ? { ok: true, value: record } : { ok: false, error: new Error(`no network record for ${key}`) };
    });
  }

  /**
   * The columns a key's record is first written with: its final answer when the first attempt has one, as a network
   * decides before its answer travels back (the simulated latency comes after: a caller killed while waiting finds
   * that answer when it asks again, or close() does). A key already recorded keeps its own columns: only its
   * attempts are counted.
   */
  private firstAnswerOf(request: AuthorizationRequest): ReturnType<typeof finalColumns> | Record<string, never> {
    const outcome = simulatedOutcome(request.card.number, 1);
    return outcome.approved === 'unavailable' ? {} : finalColumns(outcome);
  }

  /** `conclude` for a batch: one statement stores the answers of the keys that have none yet. */
  private async concludeMany(conclusions: readonly Conclusion[]): Promise<ItemOutcome<AuthorizationResult>[]> {
    const keys = conclusions.map((conclusion) => conclusion.idempotencyKey);
    if (new Set(keys).size !== keys.length) throw new Error('a key is concluded twice in one batch');
    const finals = conclusions.map(({ outcome }) => finalColumns(outcome));
    const stored = await runStatement<RecordRow>(
      this.database.db,
      returning(
        statement`
      UPDATE simulated_network_authorizations AS record
      SET outcome = given.outcome, authorization_code = given.authorization_code, decline_code = given.decline_code,
          decline_message = given.decline_message, updated_at = now()
      FROM unnest(${keys}::text[], ${finals.map((final) => final.outcome)}::text[],
                  ${finals.map((final) => final.authorizationCode ?? null)}::text[],
                  ${finals.map((final) => final.declineCode ?? null)}::text[],
                  ${finals.map((final) => final.declineMessage ?? null)}::text[])
        AS given(idempotency_key, outcome, authorization_code, decline_code, decline_message)
      WHERE record.idempotency_key = given.idempotency_key AND record.outcome IS NULL`,
        recordColumns,
      ),
    );
    const byKey = new Map(stored.rows.map((row) => [row.idempotencyKey, row]));
    return Promise.all(
      keys.map(async (key): Promise<ItemOutcome<AuthorizationResult>> => {
        try {
          // Another caller (or close) gave the key its answer first: that one wins, read back as conclude does.
          const answer = recordedAnswer(byKey.get(key) ?? (await this.read(key)));
          if (!answer) throw new Error(`network record ${key} holds no answer after one was given`);
          return { ok: true, value: answer };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
  }

  /** Stores `outcome` as the key's final answer unless another caller (or close) gave it one first; that one wins. */
  private async conclude(idempotencyKey: string, outcome: FinalOutcome): Promise<AuthorizationResult> {
    const final = finalColumns(outcome);
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
