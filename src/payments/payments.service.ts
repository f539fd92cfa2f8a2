import { Injectable } from '@nestjs/common';
import type { Context } from '@opentelemetry/api';
import { and, eq, lte, type SQL, sql } from 'drizzle-orm';
import { ApiError, apiErrors } from '../common/errors/api-error';
import { newId } from '../common/ids';
import { type ListObject, pageOf } from '../common/pagination';
import { AppConfig } from '../config/app-config';
import { Database, type Tx } from '../database/database';
import { CombinedWrite } from '../database/combined-write';
import { rowsOf } from '../database/raw-rows';
import { runStatement, statement } from '../database/statement';
import { GroupCommit, type ItemOutcome } from '../database/group-commit';
import { type Keyset, newestFirst, rowsAfter } from '../database/keyset';
import { payments, refunds } from '../database/schema';
import { EventsService } from '../events/events.service';
// The payment event types this service records are declared (registered) by importing their declaration.
import './payment-events';
import { LedgerService } from '../ledger/ledger.service';
import { OutboxService } from '../outbox/outbox.service';
import { HotCache } from '../caching/hot-cache.service';
import { activeTraceContext } from '../telemetry/trace-context';
import { paymentCache } from './payment-cache';
import {
  type AuthorizationResult,
  CardNetwork,
  captureKeyOf,
  type NetworkMovement,
} from './card-network/card-network.port';
import { postingsForNetworkFee } from '../ledger/network-fee-postings';
import type { Posting } from '../ledger/ledger-transaction';
import type { PaymentObject, PaymentRow } from './payment.presenter';
import { PaymentMethodRegistry } from './payment-methods/payment-method.registry';
import type {
  PaymentMethodColumns,
  PaymentMethodHandler,
  PaymentRelease,
} from './payment-methods/payment-method.handler';
import { settlementLimits, settlingRows } from './authorization-settlement';
import { SettlementMetrics } from './settlement.metrics';
import type { CreatePaymentInput, ListPaymentsQuery } from './payment.schemas';
import {
  authorizationOutcome,
  capture,
  type PaymentChanges,
  type PaymentMoney,
  refund,
  releaseAuthorization,
  type Transition,
  type TransitionRefusal,
} from './payment-transitions';
import { checkJobTarget, type PaymentJobCheck, type PaymentJobTarget } from './payment-jobs';
import {
  AUTHORIZE_PAYMENT_TOPIC,
  type AuthorizePaymentJobData,
  EXPIRE_AUTHORIZATION_TOPIC,
  type ExpireAuthorizationOutboxPayload,
  NETWORK_CAPTURE_TOPIC,
  NETWORK_REFUND_TOPIC,
  type NetworkRefundJobData,
  type PaymentJobData,
} from './payments.constants';
import { amountFromSql } from '../common/money/money';
import {
  addPendingTo,
  insertPendingStatement,
  lockPendingMinor,
  type PendingCredit,
  pendingCreditMinor,
  settlementTarget,
  takeFromPending,
} from './pending-settlements';

/** The capture the network recorded with an approval (a sale), if it did. */
function saleCaptureOf(outcome: AuthorizationOutcome): NetworkMovement | undefined {
  return outcome.approved ? outcome.capture : undefined;
}

/** The network-capture job of a succeeded payment: its ids only. */
function networkCaptureJob(row: PaymentRow): Required<PaymentJobData> {
  return { paymentId: row.id, merchantId: row.merchantId };
}

/** A merchant's payments, newest first (payments_merchant_created_idx; with a status, ..._status_created_idx). */
const paymentsKeyset: Keyset = { id: payments.id, order: [payments.createdAt, payments.id], what: 'payment' };

function stateInvalid(payment: PaymentRow, action: string): ApiError {
  return new ApiError(
    409,
    'invalid_request_error',
    'payment_state_invalid',
    `This payment is ${payment.status}; only a requires_capture payment can be ${action}.`,
  );
}

/** The 409 or 422 a refused capture or cancel answers. */
function refusalError(payment: PaymentRow, action: string, refusal: TransitionRefusal): ApiError {
  if (refusal.reason === 'state_invalid') return stateInvalid(payment, action);
  return new ApiError(422, 'invalid_request_error', 'amount_too_large', refusal.message, 'amount');
}

/** What the money rules (payment-transitions.ts) read of a payment row. */
function paymentMoney(row: PaymentRow): PaymentMoney {
  return {
    merchantId: row.merchantId,
    currency: row.currency,
    status: row.status,
    captureMethod: row.captureMethod,
    amount: amountFromSql(row.amount),
    amountCapturable: amountFromSql(row.amountCapturable),
    amountCaptured: amountFromSql(row.amountCaptured),
    amountRefunded: amountFromSql(row.amountRefunded),
  };
}

/** A transition's changes as column values. */
function paymentColumns(changes: PaymentChanges): Partial<typeof payments.$inferInsert> {
  const amount = (value: number | undefined) => (value === undefined ? undefined : BigInt(value));
  const columns: Partial<typeof payments.$inferInsert> = {
    status: changes.status,
    amountCapturable: amount(changes.amountCapturable),
    amountCaptured: amount(changes.amountCaptured),
    amountRefunded: amount(changes.amountRefunded),
    failureCode: changes.failureCode,
    failureMessage: changes.failureMessage,
  };
  for (const key of Object.keys(columns) as (keyof typeof columns)[]) {
    if (columns[key] === undefined) delete columns[key];
  }
  return columns;
}

type Allowed = Extract<Transition, { allowed: true }>;

/** The network's answer, or a failure decided without one (no network reference then). */
export type AuthorizationOutcome =
  AuthorizationResult | { approved: false; declineCode: 'processing_error'; message: string; networkReference?: null };

/**
 * Why an authorization job must change nothing (a check of the job, or the method's reason: `card_erased`,
 * `card_mismatch`, ...), or the payment with its method's two calls: ask the provider (this try of the job), and
 * close the payment's key there once the retries are spent.
 */
export type PendingAuthorization =
  | { outcome: Exclude<PaymentJobCheck, 'ok'> | 'unknown_payment_method' | (string & {}) }
  | {
      outcome: 'ready';
      payment: PaymentObject;
      authorize(attempt: number): Promise<AuthorizationResult>;
      close(): Promise<AuthorizationResult | null>;
    };

/** One outcome for the settlement batch: the payment and what its method's provider answered. */
interface AuthorizationToSettle {
  paymentId: string;
  outcome: AuthorizationOutcome;
  /** The job's trace context (tracing on): the payment's event and outbox rows carry it on. */
  traceContext: Context | undefined;
}

/** A json column's value for an array parameter (JSON text, which the statement casts), or null. */
function jsonOrNull(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** One payment of a batch to create: the merchant's validated create body. */
export interface PaymentToCreate {
  merchantId: string;
  input: CreatePaymentInput;
  /** The request's trace context (tracing on): the payment's event and outbox rows carry it on. */
  traceContext?: Context | undefined;
}

/** A payment a dispute was opened on, as it stood then (PaymentsService.openDispute). */
export interface DisputedPayment {
  paymentId: string;
  merchantId: string;
  currency: string;
  capturedMinor: number;
  refundedMinor: number;
}

/** What a refund took from a payment (PaymentsService.applyRefund). */
export interface AppliedRefund {
  paymentId: string;
  currency: string;
  amountMinor: number;
}

/** What an expiry job did; `not_due` says how long until the stored expiry, by the database clock. */
export type ExpiryOutcome =
  { outcome: Exclude<PaymentJobCheck, 'ok'> | 'canceled' } | { outcome: 'not_due'; dueInMs: number };

@Injectable()
export class PaymentsService {
  // Authorization outcomes of concurrently running jobs, committed together (completeAuthorization).
  private readonly settlements: GroupCommit<AuthorizationToSettle, PaymentObject | null>;
  // What the jobs that start at the same time authorize, read together (pendingAuthorization).
  private readonly authorizationReads: GroupCommit<PaymentJobTarget, PendingAuthorization>;

  constructor(
    private readonly database: Database,
    private readonly config: AppConfig,
    private readonly methods: PaymentMethodRegistry,
    private readonly ledger: LedgerService,
    private readonly events: EventsService,
    private readonly outbox: OutboxService,
    private readonly cache: HotCache,
    private readonly settlementMetrics: SettlementMetrics,
    private readonly network: CardNetwork,
  ) {
    this.settlements = new GroupCommit({
      maxBatch: settlementLimits.batchMax,
      maxInFlight: settlementLimits.batchesInFlight,
      name: 'payments.settle',
      runBatch: async (items) => {
        try {
          return await this.settleBatch(items);
        } catch (error) {
          // A batch of one has no other item to be told apart from: its error is its item's, and running it
          // alone would only run it twice.
          if (items.length === 1) return [{ ok: false, error }];
          throw error;
        }
      },
      // A batch that failed: each outcome is written on its own, so only the one at fault fails its job.
      runAlone: async (item) => {
        const [settled] = await this.settleBatch([item]);
        if (!settled!.ok) throw settled!.error;
        return settled!.value;
      },
    });
    this.authorizationReads = new GroupCommit({
      maxBatch: settlementLimits.readBatchMax,
      maxInFlight: settlementLimits.readBatchesInFlight,
      name: 'payments.read-authorizations',
      runBatch: async (targets) => {
        try {
          return (await this.readAuthorizations(targets)).map((value) => ({ ok: true, value }));
        } catch (error) {
          if (targets.length === 1) return [{ ok: false, error }];
          throw error;
        }
      },
      // A batch that failed (a vault entry no key opens): each job reads on its own, so only the one at fault fails.
      runAlone: async (target) => (await this.readAuthorizations([target]))[0]!,
    });
  }

  /**
   * Step 1 of the write path: payment, what its method keeps (a card's vault entry), event and outbox row in the
   * caller's transaction. `input` was validated against the registered methods' schemas (CreatePaymentPipe).
   */
  async create(tx: Tx, merchantId: string, input: CreatePaymentInput): Promise<PaymentObject> {
    const [payment] = await this.createMany(tx, [{ merchantId, input }]);
    return payment!;
  }

  /**
   * `create` for a batch of payments (the group commit of POST /v1/payments), in their order, with one statement
   * per table: the methods' rows (the vault), the payments, their `payment.processing` events and the outbox rows
   * of their authorization jobs. With `writes`, all of them wait there for the caller's statement (nothing is read
   * back: the payments' rows, and so the answers, are made here).
   */
  async createMany(tx: Tx, requests: readonly PaymentToCreate[], writes?: CombinedWrite): Promise<PaymentObject[]> {
    if (requests.length === 0) return [];
    const methodColumns = await this.prepareMethods(tx, requests, writes);
    // The rows are made here, timestamps included, so the answers need nothing back from the database: with
    // `writes`, the insert waits there and goes in the caller's one statement (IdempotentGroup).
    const createdAt = new Date();
    const rows = requests.map(({ merchantId, input }, index): PaymentRow => ({
      id: newId('pay'),
      merchantId,
      amount: BigInt(input.amount),
      currency: input.currency,
      status: 'processing',
      captureMethod: input.capture_method,
      amountCapturable: 0n,
      amountCaptured: 0n,
      amountRefunded: 0n,
      paymentMethodType: input.payment_method.type,
      cardBrand: methodColumns[index]!.cardBrand ?? null,
      cardLast4: methodColumns[index]!.cardLast4 ?? null,
      cardExpMonth: methodColumns[index]!.cardExpMonth ?? null,
      cardExpYear: methodColumns[index]!.cardExpYear ?? null,
      cardFingerprint: methodColumns[index]!.cardFingerprint ?? null,
      paymentMethodDetails: methodColumns[index]!.paymentMethodDetails ?? null,
      vaultToken: methodColumns[index]!.vaultToken ?? null,
      networkReference: null,
      authorizationExpiresAt: null,
      failureCode: null,
      failureMessage: null,
      disputed: false,
      description: input.description ?? null,
      metadata: input.metadata ?? {},
      createdAt,
      updatedAt: createdAt,
    }));
    // One statement on arrays, whatever the batch's size (a Drizzle multi-row insert builds every row's every column).
    const column = <T>(value: (row: PaymentRow) => T) => rows.map(value);
    const insert = statement`
      INSERT INTO payments (id, merchant_id, amount, currency, status, capture_method, payment_method_type, card_brand,
        card_last4, card_exp_month, card_exp_year, card_fingerprint, payment_method_details, vault_token, description,
        metadata, created_at, updated_at)
      SELECT created.id, created.merchant_id, created.amount, created.currency, 'processing', created.capture_method,
        created.payment_method_type, created.card_brand, created.card_last4, created.card_exp_month,
        created.card_exp_year, created.card_fingerprint, created.payment_method_details, created.vault_token,
        created.description, created.metadata, created.created_at, created.created_at
      FROM unnest(
        ${column((row) => row.id)}::text[], ${column((row) => row.merchantId)}::text[],
        ${column((row) => String(row.amount))}::bigint[], ${column((row) => row.currency)}::text[],
        ${column((row) => row.captureMethod)}::capture_method[], ${column((row) => row.paymentMethodType)}::text[],
        ${column((row) => row.cardBrand)}::text[], ${column((row) => row.cardLast4)}::text[],
        ${column((row) => row.cardExpMonth)}::smallint[], ${column((row) => row.cardExpYear)}::smallint[],
        ${column((row) => row.cardFingerprint)}::text[],
        ${column((row) => jsonOrNull(row.paymentMethodDetails))}::jsonb[],
        ${column((row) => row.vaultToken)}::text[], ${column((row) => row.description)}::text[],
        ${column((row) => JSON.stringify(row.metadata))}::jsonb[],
        ${column((row) => row.createdAt.toISOString())}::timestamptz[]
      ) WITH ORDINALITY AS created(id, merchant_id, amount, currency, capture_method, payment_method_type, card_brand,
        card_last4, card_exp_month, card_exp_year, card_fingerprint, payment_method_details, vault_token, description,
        metadata, created_at, position)
      ORDER BY created.position`;
    if (writes) writes.add(insert);
    else await runStatement(tx, insert);
    const presented = rows.map((row) => this.methods.present(row));
    // Nothing to invalidate: the ids were made here, at random (newId), so no read can have asked for one of them
    // before, and no "not found" for it can be cached.
    const processingEvents = presented.map((payment, index) => ({
      merchantId: requests[index]!.merchantId,
      type: 'payment.processing' as const,
      object: payment,
      traceContext: requests[index]!.traceContext,
    }));
    const authorizationJobs = presented.map((payment, index) => {
      const job: AuthorizePaymentJobData = { paymentId: payment.id, merchantId: requests[index]!.merchantId };
      return { topic: AUTHORIZE_PAYMENT_TOPIC, payload: { ...job }, traceContext: requests[index]!.traceContext };
    });
    if (writes) {
      this.events.recordManyTo(writes, processingEvents);
      this.outbox.addManyTo(writes, authorizationJobs);
    } else {
      await this.events.recordMany(tx, processingEvents);
      await this.outbox.addMany(tx, authorizationJobs);
    }
    return presented;
  }

  /** Each request's method columns, each method preparing its own requests at once (a card's: one vault insert). */
  private async prepareMethods(
    tx: Tx,
    requests: readonly PaymentToCreate[],
    writes: CombinedWrite | undefined,
  ): Promise<PaymentMethodColumns[]> {
    const columns: PaymentMethodColumns[] = requests.map(() => ({}));
    const byType = new Map<string, number[]>();
    for (const [index, { input }] of requests.entries()) {
      const indexes = byType.get(input.payment_method.type) ?? [];
      indexes.push(index);
      byType.set(input.payment_method.type, indexes);
    }
    for (const [type, indexes] of byType) {
      const method = this.methods.handlerOf(type);
      if (!method) throw apiErrors.parameterInvalid('payment_method.type', 'Invalid payment_method.type: unknown type');
      const prepared = await method.prepareMany(
        tx,
        indexes.map((index) => requests[index]!.input.payment_method),
        writes,
      );
      for (const [position, index] of indexes.entries()) columns[index] = prepared[position]!;
    }
    return columns;
  }

  async get(merchantId: string, paymentId: string): Promise<PaymentObject> {
    const [row] = await this.database.db
      .select()
      .from(payments)
      .where(and(eq(payments.id, paymentId), eq(payments.merchantId, merchantId)))
      .limit(1);
    if (!row) throw apiErrors.resourceMissing('payment', paymentId);
    return this.methods.present(row);
  }

  async list(merchantId: string, query: ListPaymentsQuery): Promise<ListObject<PaymentObject>> {
    // A list may lag behind the merchant's last writes (a replica's): a payment by id reads the primary.
    const reads = this.database.forListReads();
    const own = eq(payments.merchantId, merchantId);
    const after = await rowsAfter(reads, paymentsKeyset, own, query.starting_after);
    const rows = await reads.db
      .select()
      .from(payments)
      .where(and(own, query.status ? eq(payments.status, query.status) : undefined, after))
      .orderBy(...newestFirst(paymentsKeyset))
      .limit(query.limit + 1);
    return pageOf(rows, query.limit, (row) => this.methods.present(row));
  }

  /**
   * The payment an authorization job names and what its method charges, read through the payment row (a card by
   * the row's vault token): nothing the job says besides the ids is used. A replayed, stale or forged job gets the
   * reason it changes nothing. Read together with the jobs that start at the same time (readAuthorizations).
   */
  pendingAuthorization(target: PaymentJobTarget): Promise<PendingAuthorization> {
    return this.authorizationReads.submit(target);
  }

  /**
   * `pendingAuthorization` for a batch of jobs: their payments with one statement, and each method's instruments
   * with one call (a card's: one vault read).
   */
  private async readAuthorizations(targets: readonly PaymentJobTarget[]): Promise<PendingAuthorization[]> {
    const ids = [...new Set(targets.map((target) => target.paymentId))];
    const { rows } = await runStatement(
      this.database.db,
      statement`SELECT * FROM payments WHERE id = ANY(${ids}::text[])`,
    );
    const byId = new Map(rowsOf(payments, rows).map((row) => [row.id, row]));
    // The jobs that must change nothing are answered now; the others (null) once their method has looked them up.
    const pending = targets.map((target): PendingAuthorization | null => {
      const row = byId.get(target.paymentId);
      const check = checkJobTarget(row, target, 'processing');
      if (!row || check !== 'ok') return { outcome: check === 'ok' ? 'unknown_payment' : check };
      return this.methods.handlerOf(row.paymentMethodType) ? null : { outcome: 'unknown_payment_method' };
    });
    const ready = new Map<PaymentMethodHandler, number[]>();
    for (const [index, target] of targets.entries()) {
      if (pending[index]) continue;
      const method = this.methods.handlerOf(byId.get(target.paymentId)!.paymentMethodType)!;
      const indexes = ready.get(method) ?? [];
      indexes.push(index);
      ready.set(method, indexes);
    }
    for (const [method, indexes] of ready) {
      const found = await method.instrumentMany(indexes.map((index) => byId.get(targets[index]!.paymentId)!));
      for (const [position, index] of indexes.entries()) {
        const row = byId.get(targets[index]!.paymentId)!;
        const lookup = found[position]!;
        pending[index] = lookup.ready
          ? {
              outcome: 'ready',
              payment: this.methods.present(row),
              authorize: (attempt) => method.authorize({ payment: row, instrument: lookup.instrument, attempt }),
              close: () => method.close(row),
            }
          : { outcome: lookup.reason };
      }
    }
    return pending.map((entry) => entry!);
  }

  /**
   * Closes a processing payment's key at its method's provider (the stranded-payments sweep): the provider's final
   * answer, or null when it can no longer approve. Throws when the payment or its method is unknown.
   */
  async closeAuthorization(paymentId: string): Promise<AuthorizationResult | null> {
    const [row] = await this.database.db.select().from(payments).where(eq(payments.id, paymentId)).limit(1);
    if (!row) throw new Error(`payment ${paymentId} not found`);
    return this.methodOf(row).close(row);
  }

  /**
   * Step 3 of the write path: the guarded status update (only a payment still `processing` moves), ledger postings,
   * the event, and the card data erased as far as it is no longer needed, committed together with the outcomes of
   * the other jobs settling at the same time (settleBatch). Resolves once that transaction has committed. Returns
   * null when the payment had already left `processing`: a job that runs twice changes nothing.
   */
  completeAuthorization(paymentId: string, outcome: AuthorizationOutcome): Promise<PaymentObject | null> {
    return this.settlements.submit({ paymentId, outcome, traceContext: activeTraceContext() });
  }

  /**
   * One transaction for a batch of authorization outcomes, each statement for all of them: the batch's payments still
   * `processing` locked, their guarded status updates, their events, the expiry jobs of the authorizations, the card
   * data released and their ledger transactions (each merchant's balance updated once). An outcome whose payment is
   * no longer `processing` (or is settled by an earlier item of the batch) answers null and changes nothing.
   */
  private async settleBatch(items: readonly AuthorizationToSettle[]): Promise<ItemOutcome<PaymentObject | null>[]> {
    const settled = await this.database.transaction(async (tx) => {
      const ids = [...new Set(items.map((item) => item.paymentId))];
      // In id order, so that two batches sharing a payment (a job running twice) wait for one another instead of
      // deadlocking. NO KEY UPDATE, the lock the update below takes: it does not wait on the key-share locks of rows
      // that reference the payment.
      const locked = rowsOf(
        payments,
        (
          await runStatement(
            tx,
            statement`
            SELECT * FROM payments WHERE id = ANY(${ids}::text[]) AND status = 'processing'
            ORDER BY id FOR NO KEY UPDATE`,
          )
        ).rows,
      );
      const moves = settlingRows(
        items.map((item) => item.paymentId),
        locked,
      ).map((current, index) => {
        if (!current) return null;
        const { outcome, traceContext } = items[index]!;
        const transition = authorizationOutcome(
          paymentMoney(current),
          outcome.approved ? { approved: true } : outcome,
          this.config.payments.fees,
          settlementTarget(this.config.settlement.delayMs),
        );
        return transition.allowed ? { current, outcome, transition, traceContext } : null;
      });
      const moving = moves.filter((move) => move !== null);
      if (moving.length === 0) return moves.map(() => null);
      const updated = await this.applyAuthorizations(tx, moving);
      const completed = moves.map((move) => {
        const row = move && updated.get(move.current.id);
        if (!move || !row) return null;
        this.paymentChanged(tx, row.merchantId, row.id);
        return { ...move, row, payment: this.methods.present(row) };
      });
      const done = completed.filter((entry) => entry !== null);
      this.database.afterCommit(tx, () => this.settlementMetrics.observeSettled(done.map(({ row }) => row)));
      // What follows reads nothing it writes: it goes to PostgreSQL as one statement (only the vault's CVC erasure
      // of authorized cards, and ledger accounts not known yet, read first).
      const writes = new CombinedWrite(tx);
      this.events.recordManyTo(
        writes,
        done.map(({ row, payment, traceContext }) => ({
          merchantId: row.merchantId,
          type: `payment.${row.status}` as const,
          object: payment,
          traceContext,
        })),
      );
      this.outbox.addManyTo(
        writes,
        done
          .filter(({ row }) => row.status === 'requires_capture')
          .map(({ row, traceContext }) => {
            const expiry: ExpireAuthorizationOutboxPayload = {
              paymentId: row.id,
              merchantId: row.merchantId,
              expiresAt: row.authorizationExpiresAt!.toISOString(),
            };
            return { topic: EXPIRE_AUTHORIZATION_TOPIC, payload: { ...expiry }, traceContext };
          }),
      );
      // A sale's capture is already at the network (its fee is recorded below); any other succeeded payment has
      // its captured amount settled there by a network-capture job.
      const succeeded = done.filter(({ row }) => row.status === 'succeeded');
      this.outbox.addManyTo(
        writes,
        succeeded
          .filter(({ outcome }) => !saleCaptureOf(outcome))
          .map(({ row, traceContext }) => ({
            topic: NETWORK_CAPTURE_TOPIC,
            payload: { ...networkCaptureJob(row) },
            traceContext,
          })),
      );
      const releases = new Map<string, PaymentRelease[]>();
      for (const { current, row } of done) {
        const group = releases.get(current.paymentMethodType) ?? [];
        group.push({ payment: current, status: row.status });
        releases.set(current.paymentMethodType, group);
      }
      for (const [type, group] of releases) await this.methods.handlerOf(type)?.releaseMany(tx, group, writes);
      // With a settlement delay, what the captures credited to pending is tracked until the release job moves it.
      if (this.config.settlement.delayMs > 0) {
        addPendingTo(writes, this.pendingCredits(succeeded), this.config.settlement.delayMs);
      }
      // In the last statement: a merchant's balance row, which every batch settling its payments writes, stays
      // locked only for the rest of this transaction.
      await this.ledger.recordManyTo(writes, [
        ...done.flatMap(({ row, transition }) =>
          transition.ledger ? [{ ...transition.ledger, merchantId: row.merchantId, paymentId: row.id }] : [],
        ),
        // Once, with the settlement that moved the payment (captureAtNetwork records it for the others).
        ...succeeded.flatMap(({ row, outcome }) => {
          const feeMinor = saleCaptureOf(outcome)?.feeMinor ?? 0;
          if (feeMinor === 0) return [];
          return [
            {
              kind: 'network_fee' as const,
              merchantId: row.merchantId,
              paymentId: row.id,
              postings: postingsForNetworkFee({ currency: row.currency, feeMinor }),
            },
          ];
        }),
      ]);
      await writes.run();
      return completed.map((entry) => entry?.payment ?? null);
    });
    return settled.map((value) => ({ ok: true, value }));
  }

  /**
   * The guarded status updates of a batch in one statement (a payment moves only while still `processing`): the
   * updated rows by id. The expiry is set by the database clock, as the expiry job's check is (`authorizationDueAt`).
   */
  private async applyAuthorizations(
    tx: Tx,
    moves: readonly { current: PaymentRow; outcome: AuthorizationOutcome; transition: Allowed }[],
  ): Promise<Map<string, PaymentRow>> {
    const column = <T>(value: (move: (typeof moves)[number]) => T) => moves.map(value);
    // A change a transition leaves out keeps the payment's value (PaymentChanges).
    const kept = <T>(changed: T | undefined, current: T) => (changed === undefined ? current : changed);
    // The card stays only for a capture to come; the expiry is set by the database clock.
    const { rows } = await runStatement(
      tx,
      statement`
      UPDATE payments SET
        status = settled.status::payment_status,
        amount_capturable = settled.amount_capturable,
        amount_captured = settled.amount_captured,
        failure_code = settled.failure_code,
        failure_message = settled.failure_message,
        network_reference = settled.network_reference,
        vault_token = CASE WHEN settled.status = 'requires_capture' THEN payments.vault_token END,
        authorization_expires_at = CASE WHEN settled.status = 'requires_capture'
          THEN now() + ${this.config.authorizationExpiryMs}::double precision * interval '1 millisecond' END,
        updated_at = ${new Date().toISOString()}::timestamptz
      FROM unnest(
        ${column(({ current }) => current.id)}::text[],
        ${column(({ current, transition }) => kept(transition.changes.status, current.status))}::text[],
        ${column(({ current, transition }) => String(kept(transition.changes.amountCapturable, amountFromSql(current.amountCapturable))))}::bigint[],
        ${column(({ current, transition }) => String(kept(transition.changes.amountCaptured, amountFromSql(current.amountCaptured))))}::bigint[],
        ${column(({ current, transition }) => kept(transition.changes.failureCode, current.failureCode))}::text[],
        ${column(({ current, transition }) => kept(transition.changes.failureMessage, current.failureMessage))}::text[],
        ${column(({ outcome }) => outcome.networkReference ?? null)}::text[]
      ) AS settled(id, status, amount_capturable, amount_captured, failure_code, failure_message, network_reference)
      WHERE payments.id = settled.id AND payments.status = 'processing'
      RETURNING payments.*`,
    );
    return new Map(rowsOf(payments, rows).map((row) => [row.id, row]));
  }

  /** Captures all or part of an authorization; the rest of the hold is released. */
  async capture(tx: Tx, merchantId: string, paymentId: string, amountMinor?: number): Promise<PaymentObject> {
    const current = await this.lockOwned(tx, merchantId, paymentId);
    const { delayMs } = this.config.settlement;
    const transition = capture(
      paymentMoney(current),
      amountMinor,
      this.config.payments.fees,
      settlementTarget(delayMs),
    );
    if (!transition.allowed) throw refusalError(current, 'captured', transition.refusal);
    const row = await this.finish(tx, current, transition);
    if (!row) throw stateInvalid(current, 'captured');
    if (delayMs > 0) {
      const credits = this.pendingCredits([{ row, transition }]);
      if (credits.length > 0) await tx.execute(insertPendingStatement(credits, delayMs));
    }
    const payment = this.methods.present(row);
    await this.events.record(tx, merchantId, 'payment.succeeded', payment);
    await this.outbox.add(tx, NETWORK_CAPTURE_TOPIC, { ...networkCaptureJob(row) });
    return payment;
  }

  /** Cancels an authorization awaiting capture and releases its hold. */
  async cancel(tx: Tx, merchantId: string, paymentId: string): Promise<PaymentObject> {
    const current = await this.lockOwned(tx, merchantId, paymentId);
    const payment = await this.release(tx, current);
    if (!payment) throw stateInvalid(current, 'canceled');
    return payment;
  }

  /**
   * The scheduled end of an authorization nobody captured. Only the named merchant's payment, still awaiting
   * capture and past its stored expiry, is canceled; anything else (captured or canceled meanwhile, another
   * merchant's, unknown, or a job that runs early) changes nothing.
   */
  async expireAuthorization(target: PaymentJobTarget): Promise<ExpiryOutcome> {
    const dueAt = this.authorizationDueAt();
    const expired = await this.database.transaction(async (tx) => {
      const [locked] = await tx
        .select({ row: payments, dueInMs: sql<string>`ceil(extract(epoch from (${dueAt} - now())) * 1000)` })
        .from(payments)
        .where(eq(payments.id, target.paymentId))
        .for('update')
        .limit(1);
      const check = checkJobTarget(locked?.row, target, 'requires_capture');
      if (!locked || check !== 'ok') return { outcome: check === 'ok' ? 'unknown_payment' : check } as const;
      const payment = await this.release(tx, locked.row, lte(dueAt, sql`now()`));
      // At least 1 ms, so that a job a rounding away from due does not spin through the queue.
      if (!payment) return { outcome: 'not_due', dueInMs: Math.max(1, Number(locked.dueInMs)) } as const;
      return { outcome: 'canceled', merchantId: locked.row.merchantId } as const;
    });
    return expired.outcome === 'canceled' ? { outcome: 'canceled' } : expired;
  }

  /**
   * Cancels a locked authorization and releases its hold; null when `guard` (or the status) held it back. Throws 409
   * payment_state_invalid when the payment is not awaiting capture.
   */
  private async release(tx: Tx, current: PaymentRow, guard?: SQL): Promise<PaymentObject | null> {
    const transition = releaseAuthorization(paymentMoney(current));
    if (!transition.allowed) throw refusalError(current, 'canceled', transition.refusal);
    const row = await this.finish(tx, current, transition, guard);
    if (!row) return null;
    const payment = this.methods.present(row);
    await this.events.record(tx, current.merchantId, 'payment.canceled', payment);
    return payment;
  }

  /**
   * Moves a locked payment out of requires_capture as `transition` says, records its ledger move and erases its card,
   * which is no longer needed. The update is guarded by the status (and `guard`), so it returns null rather than move a
   * payment it should not.
   */
  private async finish(tx: Tx, current: PaymentRow, transition: Allowed, guard?: SQL): Promise<PaymentRow | null> {
    const [row] = await tx
      .update(payments)
      .set({
        ...paymentColumns(transition.changes),
        vaultToken: null,
        authorizationExpiresAt: null,
        updatedAt: new Date(),
      })
      .where(and(eq(payments.id, current.id), eq(payments.status, 'requires_capture'), guard))
      .returning();
    if (!row) return null;
    this.paymentChanged(tx, row.merchantId, row.id);
    if (transition.ledger) {
      await this.ledger.record(tx, { ...transition.ledger, merchantId: current.merchantId, paymentId: current.id });
    }
    await this.methods.handlerOf(current.paymentMethodType)?.release(tx, current, row.status);
    return row;
  }

  /** What succeeded payments' capture postings credited to merchant_pending, for their pending rows. */
  private pendingCredits(
    settled: readonly { row: PaymentRow; transition: { ledger: { postings: readonly Posting[] } | null } }[],
  ): PendingCredit[] {
    return settled.flatMap(({ row, transition }) => {
      const amountMinor = transition.ledger ? pendingCreditMinor(transition.ledger.postings) : 0;
      return amountMinor > 0
        ? [{ paymentId: row.id, merchantId: row.merchantId, currency: row.currency, amountMinor }]
        : [];
    });
  }

  /** The payment's cached reads are deleted once `tx` commits (the balance is the ledger's to invalidate). */
  private paymentChanged(tx: Tx, merchantId: string, paymentId: string): void {
    this.cache.invalidateAfterCommit(tx, paymentCache, merchantId, paymentId);
  }

  private methodOf(row: PaymentRow): PaymentMethodHandler {
    const method = this.methods.handlerOf(row.paymentMethodType);
    if (!method) throw new Error(`no payment method handler for '${row.paymentMethodType}' (payment ${row.id})`);
    return method;
  }

  private authorizationExpiryInterval(): SQL {
    return sql`(${this.config.authorizationExpiryMs}::double precision * interval '1 millisecond')`;
  }

  /**
   * When an authorization may be expired, by the database clock. A row that entered requires_capture under a
   * release that did not store the expiry (migration 0005 filled in the rows that existed then) falls back to
   * the time it was authorized plus the configured window, as that release's delayed job would have.
   */
  private authorizationDueAt(): SQL {
    return sql`coalesce(${payments.authorizationExpiresAt}, ${payments.updatedAt} + ${this.authorizationExpiryInterval()})`;
  }

  /**
   * Refunds part or all of what is left of a captured payment, for the refund `refundId` (which the caller records
   * in this transaction): the payment row is locked, so concurrent refunds of one payment run one after another and
   * their sum can never pass amount_captured (the database's check on payments enforces the same bound). Moves
   * amount_refunded and records the refund's ledger move, as the money rules (payment-transitions.ts) say; answers
   * 404 resource_missing, 409 payment_state_invalid or 422 amount_too_large as API.md says.
   */
  async applyRefund(
    tx: Tx,
    merchantId: string,
    paymentId: string,
    refundId: string,
    requestedMinor: number | undefined,
  ): Promise<AppliedRefund> {
    const current = await this.lockOwned(tx, merchantId, paymentId);
    // Checked under the payment's lock, which a dispute's opening takes too (openDispute): a refund either comes
    // before the dispute (and lowers its amount) or is refused.
    if (current.disputed) {
      throw new ApiError(
        409,
        'invalid_request_error',
        'payment_state_invalid',
        'This payment is disputed; a disputed payment cannot be refunded.',
        'payment_id',
      );
    }
    // Without a delay nothing is read (no pending rows are written then); rows left by an earlier delay are still
    // released by the release job, and a refund meanwhile takes from available.
    const pendingMinor = this.config.settlement.delayMs > 0 ? await lockPendingMinor(tx, current.id) : 0;
    const transition = refund(paymentMoney(current), requestedMinor, pendingMinor);
    if (!transition.allowed) {
      const { refusal } = transition;
      if (refusal.reason === 'state_invalid') {
        throw new ApiError(
          409,
          'invalid_request_error',
          'payment_state_invalid',
          `This payment is ${refusal.status}; only a succeeded payment can be refunded.`,
          'payment_id',
        );
      }
      throw new ApiError(422, 'invalid_request_error', 'amount_too_large', refusal.message, 'amount');
    }
    await tx
      .update(payments)
      .set({ ...paymentColumns(transition.changes), updatedAt: new Date() })
      .where(eq(payments.id, current.id));
    this.paymentChanged(tx, merchantId, current.id);
    await takeFromPending(tx, current.id, transition.fromPendingMinor);
    await this.ledger.record(tx, { ...transition.ledger!, merchantId, paymentId: current.id, refundId });
    const networkRefund: NetworkRefundJobData = { paymentId: current.id, merchantId, refundId };
    await this.outbox.add(tx, NETWORK_REFUND_TOPIC, { ...networkRefund });
    return { paymentId: current.id, currency: current.currency, amountMinor: transition.amountMinor };
  }

  /**
   * The card network opened a dispute on the payment: the payment row is locked for the rest of `tx` (refunds wait,
   * and then see `disputed`), marked disputed (its cached reads invalidated after commit), and its money as it stands
   * is answered, for the dispute's amount (captured − refunded). Null for a payment that is not ours to dispute: unknown,
   * or not succeeded. Called by the disputes feature, in the transaction that records the dispute.
   */
  async openDispute(tx: Tx, paymentId: string): Promise<DisputedPayment | null> {
    const [current] = await tx.select().from(payments).where(eq(payments.id, paymentId)).for('update').limit(1);
    if (!current || current.status !== 'succeeded') return null;
    if (!current.disputed) {
      await tx.update(payments).set({ disputed: true, updatedAt: new Date() }).where(eq(payments.id, current.id));
      this.paymentChanged(tx, current.merchantId, current.id);
    }
    return {
      paymentId: current.id,
      merchantId: current.merchantId,
      currency: current.currency,
      capturedMinor: amountFromSql(current.amountCaptured),
      refundedMinor: amountFromSql(current.amountRefunded),
    };
  }

  /**
   * Settles a succeeded payment's captured amount with the card network (the network-capture job), under a key
   * stable for the payment, so a retried job finds the network's first record. The network's fee for it is then
   * recorded in the ledger once (a network_fee transaction naming the payment). Answers what the job did.
   */
  async captureAtNetwork(target: PaymentJobTarget): Promise<string> {
    const [row] = await this.database.db.select().from(payments).where(eq(payments.id, target.paymentId)).limit(1);
    const check = checkJobTarget(row, target, 'succeeded');
    if (!row || check !== 'ok') return check === 'ok' ? 'unknown_payment' : check;
    const movement = await this.network.capture({
      paymentId: row.id,
      authorizationReference: row.networkReference,
      amountMinor: amountFromSql(row.amountCaptured),
      currency: row.currency,
      idempotencyKey: captureKeyOf(row.id),
    });
    if (movement.feeMinor === 0) return 'captured';
    return this.database.transaction(async (tx) => {
      // The payment row is the lock: two runs of the job record the fee once between them.
      await tx.select({ id: payments.id }).from(payments).where(eq(payments.id, row.id)).for('update');
      const recorded = await tx.execute(sql`
        SELECT 1 FROM ledger_transactions WHERE payment_id = ${row.id} AND kind = 'network_fee' AND dispute_id IS NULL`);
      if (recorded.rows.length > 0) return 'captured';
      await this.ledger.record(tx, {
        kind: 'network_fee',
        merchantId: row.merchantId,
        paymentId: row.id,
        postings: postingsForNetworkFee({ currency: row.currency, feeMinor: movement.feeMinor }),
      });
      return 'captured';
    });
  }

  /** Pays a refund back through the card network (the network-refund job), under the refund's id as its key. */
  async refundAtNetwork(target: PaymentJobTarget): Promise<string> {
    if (!target.refundId) return 'unknown_refund';
    const [found] = await this.database.db
      .select({ refund: refunds, payment: payments })
      .from(refunds)
      .innerJoin(payments, eq(payments.id, refunds.paymentId))
      .where(eq(refunds.id, target.refundId))
      .limit(1);
    if (!found || found.payment.id !== target.paymentId) return 'unknown_refund';
    if (target.merchantId !== null && found.refund.merchantId !== target.merchantId) return 'wrong_merchant';
    await this.network.refund({
      paymentId: found.payment.id,
      refundId: found.refund.id,
      authorizationReference: found.payment.networkReference,
      amountMinor: amountFromSql(found.refund.amount),
      currency: found.refund.currency,
      idempotencyKey: found.refund.id,
    });
    return 'refunded';
  }

  /** The merchant's payment, row-locked for the rest of the transaction; another merchant's is a 404. */
  private async lockOwned(tx: Tx, merchantId: string, paymentId: string): Promise<PaymentRow> {
    const [row] = await tx
      .select()
      .from(payments)
      .where(and(eq(payments.id, paymentId), eq(payments.merchantId, merchantId)))
      .for('update')
      .limit(1);
    if (!row) throw apiErrors.resourceMissing('payment', paymentId);
    return row;
  }
}
