import { Injectable } from '@nestjs/common';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { ApiError, apiErrors } from '../common/errors/api-error';
import { newId } from '../common/ids';
import { amountFromSql } from '../common/money/money';
import { type ListObject, pageOf } from '../common/pagination';
import { AppConfig } from '../config/app-config';
import { Database, type Tx } from '../database/database';
import { type Keyset, newestFirst, rowsAfter } from '../database/keyset';
import { payouts } from '../database/schema';
import { EventsService } from '../events/events.service';
// The payout event types this service records are declared (registered) by importing their declaration.
import './payout-events';
import { HotCache } from '../caching/hot-cache.service';
import { LedgerService } from '../ledger/ledger.service';
import { postingsForPayoutCreated, postingsForPayoutFailed, postingsForPayoutPaid } from '../ledger/payout-postings';
import { MerchantsService } from '../merchants/merchants.service';
import { OutboxService } from '../outbox/outbox.service';
import { BankRail, type BankTransfer } from './bank-rail/bank-rail.port';
import { payoutCache } from './payout-cache';
import { checkPayoutJob, type PayoutJobCheck } from './payout-jobs';
import { type AutomaticSchedule, automaticPayoutAmount, periodOf } from './payout-schedule';
import { type PayoutFailureCode, type PayoutMethod, type PayoutStatus, statusesBefore } from './payout-status';
import { type PayoutObject, type PayoutRow, presentPayout } from './payout.presenter';
import type { CreatePayoutInput, ListPayoutsQuery } from './payout.schemas';
import {
  type PayoutJobData,
  SETTLE_PAYOUT_TOPIC,
  type SettlePayoutOutboxPayload,
  SUBMIT_PAYOUT_TOPIC,
} from './payouts.constants';
import { payoutLimits } from './payouts.limits';

/** A merchant's payouts, newest first (payouts_merchant_created_idx; with a status, ..._status_created_idx). */
const payoutsKeyset: Keyset = { id: payouts.id, order: [payouts.createdAt, payouts.id], what: 'payout' };

/** What one payout to create is: manual (an amount asked for) or automatic (the whole balance, once per period). */
type PayoutRequest =
  { method: 'manual'; amountMinor: number; description: string | null } | { method: 'automatic'; period: string };

/** What a submit or settle job did. */
export type PayoutStepOutcome =
  { outcome: Exclude<PayoutJobCheck, 'ok'> | PayoutStatus } | { outcome: 'not_due'; dueInMs: number };

function amountTooLarge(amountMinor: number, availableMinor: number, currency: string): ApiError {
  const message =
    availableMinor <= 0
      ? `There is no available balance in ${currency} to pay out.`
      : `The payout amount ${amountMinor} exceeds the available balance of ${availableMinor} ${currency}.`;
  return new ApiError(422, 'invalid_request_error', 'amount_too_large', message, 'amount');
}

function intervalOfMs(ms: number) {
  return sql`(${ms}::double precision * interval '1 millisecond')`;
}

/**
 * Payouts own their table, their events, their jobs and their cached reads. Their money moves through the ledger
 * (LedgerService): the amount leaves available when the payout is created, under the lock of that balance, so no
 * payout takes it below zero; it leaves us when the bank pays it and comes back if the bank fails it.
 */
@Injectable()
export class PayoutsService {
  constructor(
    private readonly database: Database,
    private readonly config: AppConfig,
    private readonly ledger: LedgerService,
    private readonly events: EventsService,
    private readonly outbox: OutboxService,
    private readonly cache: HotCache,
    private readonly merchants: MerchantsService,
    private readonly bankRail: BankRail,
  ) {}

  /** A manual payout of `input.amount`, in the caller's transaction; 422 when it is more than the available balance. */
  async create(tx: Tx, merchantId: string, input: CreatePayoutInput): Promise<PayoutObject> {
    const payout = await this.createLocked(tx, merchantId, input.currency, {
      method: 'manual',
      amountMinor: input.amount,
      description: input.description ?? null,
    });
    return payout!;
  }

  /**
   * Creates one payout under the lock of the merchant's available balance in `currency` (LedgerService
   * lockAvailableBalance): the check and the debit see the same balance, and concurrent payouts wait for each
   * other. Answers null for an automatic payout with nothing to pay out, or already made for its period.
   */
  private async createLocked(
    tx: Tx,
    merchantId: string,
    currency: string,
    request: PayoutRequest,
  ): Promise<PayoutObject | null> {
    const availableMinor = await this.ledger.lockAvailableBalance(tx, merchantId, currency);
    let amountMinor: number;
    if (request.method === 'manual') {
      if (request.amountMinor > availableMinor) throw amountTooLarge(request.amountMinor, availableMinor, currency);
      amountMinor = request.amountMinor;
    } else {
      const automatic = automaticPayoutAmount(availableMinor);
      if (automatic === null) return null;
      amountMinor = automatic;
    }
    const method: PayoutMethod = request.method;
    const [row] = await tx
      .insert(payouts)
      .values({
        id: newId('po'),
        merchantId,
        amount: BigInt(amountMinor),
        currency,
        status: 'pending',
        method,
        arrivalAt: sql`now() + ${intervalOfMs(this.config.payouts.arrivalMs)}`,
        description: request.method === 'manual' ? request.description : null,
        schedulePeriod: request.method === 'automatic' ? request.period : null,
      })
      // Only an automatic payout can conflict: its period's payout was made already (payouts_schedule_period_once).
      .onConflictDoNothing()
      .returning();
    if (!row) return null;
    const payout = presentPayout(row);
    await this.ledger.record(tx, {
      kind: 'payout_created',
      merchantId,
      paymentId: null,
      payoutId: payout.id,
      postings: postingsForPayoutCreated({ merchantId, currency, amountMinor }),
    });
    await this.events.record(tx, merchantId, 'payout.created', payout);
    const job: PayoutJobData = { payoutId: payout.id, merchantId };
    await this.outbox.add(tx, SUBMIT_PAYOUT_TOPIC, { ...job });
    // A "not found" remembered for the new payout's id must go.
    this.cache.invalidateAfterCommit(tx, payoutCache, merchantId, payout.id);
    return payout;
  }

  async get(merchantId: string, payoutId: string): Promise<PayoutObject> {
    const [row] = await this.database.db
      .select()
      .from(payouts)
      .where(and(eq(payouts.id, payoutId), eq(payouts.merchantId, merchantId)))
      .limit(1);
    if (!row) throw apiErrors.resourceMissing('payout', payoutId);
    return presentPayout(row);
  }

  async list(merchantId: string, query: ListPayoutsQuery): Promise<ListObject<PayoutObject>> {
    // A list may lag behind the merchant's last writes (a replica's): a payout by id reads the primary.
    const reads = this.database.forListReads();
    const own = eq(payouts.merchantId, merchantId);
    const after = await rowsAfter(reads, payoutsKeyset, own, query.starting_after);
    const rows = await reads.db
      .select()
      .from(payouts)
      .where(and(own, query.status ? eq(payouts.status, query.status) : undefined, after))
      .orderBy(...newestFirst(payoutsKeyset))
      .limit(query.limit + 1);
    return pageOf(rows, query.limit, presentPayout);
  }

  /**
   * Runs the automatic payouts of `schedules` for the periods `now` falls in: each merchant on one of them is paid
   * out the whole available balance of each positive currency, once per period (a run that finds the period's payout
   * made makes none). One transaction per merchant and currency. Answers how many payouts it made.
   */
  async runSchedules(schedules: readonly AutomaticSchedule[], now = new Date()): Promise<number> {
    let created = 0;
    for (const schedule of schedules) {
      const period = periodOf(schedule, now);
      for (let afterId = ''; ;) {
        const merchantIds = await this.merchants.idsOnSchedule(
          schedule,
          afterId,
          payoutLimits.scheduledMerchantsPerPage,
        );
        for (const merchantId of merchantIds) created += await this.payOutBalance(merchantId, period);
        if (merchantIds.length < payoutLimits.scheduledMerchantsPerPage) break;
        afterId = merchantIds[merchantIds.length - 1]!;
      }
    }
    return created;
  }

  private async payOutBalance(merchantId: string, period: string): Promise<number> {
    const balance = await this.ledger.balance(merchantId);
    let created = 0;
    // The balance read here only says which currencies to look at; each amount is read again under its lock.
    for (const { currency, amount } of balance.available) {
      if (amount <= 0) continue;
      const payout = await this.database.transaction((tx) =>
        this.createLocked(tx, merchantId, currency, { method: 'automatic', period }),
      );
      if (payout) created += 1;
    }
    return created;
  }

  /**
   * The submit job: sends a pending payout to the bank rail, then moves it in_transit (and queues its settle job for
   * the arrival date) or fails it at once, returning its amount to available.
   */
  async submit(target: PayoutJobData): Promise<PayoutStepOutcome> {
    const found = await this.transferOf(target, 'pending');
    if ('outcome' in found) return found;
    const answer = await this.bankRail.submit(found.transfer);
    const moved = answer.accepted
      ? await this.move(target, 'in_transit')
      : await this.move(target, 'failed', answer.failureCode);
    return { outcome: moved?.status ?? 'already_moved' };
  }

  /**
   * The settle job: once the arrival date has come (by the database clock), asks the bank rail how the transfer
   * ended and marks the payout paid, or failed with its amount returned to available.
   */
  async settle(target: PayoutJobData): Promise<PayoutStepOutcome> {
    const found = await this.transferOf(target, 'in_transit');
    if ('outcome' in found) return found;
    if (found.dueInMs > 0) return { outcome: 'not_due', dueInMs: found.dueInMs };
    const answer = await this.bankRail.arrival(found.transfer);
    const moved = answer.paid ? await this.move(target, 'paid') : await this.move(target, 'failed', answer.failureCode);
    return { outcome: moved?.status ?? 'already_moved' };
  }

  /** The transfer a job's payout is for, read from the payout row and its merchant; or why the job changes nothing. */
  private async transferOf(
    target: PayoutJobData,
    expectedStatus: PayoutStatus,
  ): Promise<{ outcome: Exclude<PayoutJobCheck, 'ok'> } | { transfer: BankTransfer; dueInMs: number }> {
    const rows = await this.database.db
      .select({
        row: payouts,
        dueInMs: sql<string>`greatest(0, ceil(extract(epoch from (${payouts.arrivalAt} - now())) * 1000))::text`,
      })
      .from(payouts)
      .where(eq(payouts.id, target.payoutId))
      .limit(1);
    const found = rows[0];
    const check = checkPayoutJob(found?.row, target, expectedStatus);
    if (!found || check !== 'ok') return { outcome: check === 'ok' ? 'unknown_payout' : check };
    const merchant = await this.merchants.find(found.row.merchantId);
    if (!merchant) return { outcome: 'unknown_payout' };
    return {
      transfer: {
        payoutId: found.row.id,
        accountHolderName: merchant.name,
        amountMinor: amountFromSql(found.row.amount),
        currency: found.row.currency,
      },
      dueInMs: Number(found.dueInMs),
    };
  }

  /**
   * One step of the status machine in one transaction: the guarded status update (only from the statuses the machine
   * allows; a replayed step finds nothing to move and changes nothing), its ledger transaction, its event, its settle
   * job when it goes in transit, and the cached payout invalidated. Answers the payout moved, or null.
   */
  private async move(
    target: PayoutJobData,
    to: Exclude<PayoutStatus, 'pending'>,
    failureCode?: PayoutFailureCode,
  ): Promise<PayoutObject | null> {
    return this.database.transaction(async (tx) => {
      const [current] = await tx
        .select({ currency: payouts.currency })
        .from(payouts)
        .where(and(eq(payouts.id, target.payoutId), eq(payouts.merchantId, target.merchantId)))
        .limit(1);
      if (!current) return null;
      // A failure returns money to available: that balance is locked first, as every payout transaction that writes
      // it does (createLocked), so that two of them never wait on each other's accounts in opposite orders.
      if (to === 'failed') await this.ledger.lockAvailableBalance(tx, target.merchantId, current.currency);
      const [row] = await tx
        .update(payouts)
        .set({ status: to, failureCode: failureCode ?? null, updatedAt: sql`now()` })
        .where(
          and(
            eq(payouts.id, target.payoutId),
            eq(payouts.merchantId, target.merchantId),
            inArray(payouts.status, statusesBefore(to)),
          ),
        )
        .returning();
      if (!row) return null;
      const payout = presentPayout(row);
      await this.recordStep(tx, row, to);
      await this.events.record(tx, row.merchantId, `payout.${to}`, payout);
      if (to === 'in_transit') {
        const settle: SettlePayoutOutboxPayload = {
          payoutId: row.id,
          merchantId: row.merchantId,
          arrivalAt: row.arrivalAt.toISOString(),
        };
        await this.outbox.add(tx, SETTLE_PAYOUT_TOPIC, { ...settle });
      }
      this.cache.invalidateAfterCommit(tx, payoutCache, row.merchantId, row.id);
      return payout;
    });
  }

  /** The ledger transaction of a step: paid moves the money out to the bank, failed returns it to available. */
  private async recordStep(tx: Tx, row: PayoutRow, to: Exclude<PayoutStatus, 'pending'>): Promise<void> {
    if (to === 'in_transit') return;
    const input = { merchantId: row.merchantId, currency: row.currency, amountMinor: amountFromSql(row.amount) };
    await this.ledger.record(tx, {
      kind: to === 'paid' ? 'payout_paid' : 'payout_failed',
      merchantId: row.merchantId,
      paymentId: null,
      payoutId: row.id,
      postings: to === 'paid' ? postingsForPayoutPaid(input) : postingsForPayoutFailed(input),
    });
  }
}
