import { Injectable, Logger } from '@nestjs/common';
import { and, eq, sql } from 'drizzle-orm';
import { ApiError, apiErrors } from '../common/errors/api-error';
import { newId } from '../common/ids';
import { amountFromSql } from '../common/money/money';
import { type ListObject, pageOf } from '../common/pagination';
import { AppConfig } from '../config/app-config';
import { Database, type Tx } from '../database/database';
import { type Keyset, newestFirst, rowsAfter } from '../database/keyset';
import { disputes } from '../database/schema';
import { EventsService } from '../events/events.service';
// The dispute event types this service records are declared (registered) by importing their declaration.
import './dispute-events';
import { HotCache } from '../caching/hot-cache.service';
import { LedgerService } from '../ledger/ledger.service';
import { postingsForNetworkFee } from '../ledger/network-fee-postings';
import { OutboxService } from '../outbox/outbox.service';
import {
  CardNetwork,
  type NetworkDispute,
  type NetworkDisputeStatus,
} from '../payments/card-network/card-network.port';
import { PaymentsService } from '../payments/payments.service';
import { disputeCache } from './dispute-cache';
import { disputedAmountMinor, disputeFeeMinor, disputeOpenedMove, disputeOutcomeMove } from './dispute-money';
import { type DisputeAction, disputeTransition } from './dispute-status';
import { type DisputeObject, type DisputeRow, presentDispute } from './dispute.presenter';
import type { ListDisputesQuery } from './dispute.schemas';
import {
  ACCEPT_DISPUTE_TOPIC,
  DISPUTE_DEADLINE_TOPIC,
  type DisputeDeadlineOutboxPayload,
  type DisputeJobData,
  SUBMIT_EVIDENCE_TOPIC,
} from './disputes.constants';
import { disputeLimits } from './disputes.limits';

/** A merchant's disputes, newest first (disputes_merchant_created_idx; with a status, ..._status_created_idx). */
const disputesKeyset: Keyset = { id: disputes.id, order: [disputes.createdAt, disputes.id], what: 'dispute' };

/** What a dispute job did; `undecided` and `not_due` ask the processor to run the job again later. */
export type DisputeJobOutcome =
  | { outcome: 'undecided' | 'not_due'; retryInMs: number }
  | { outcome: 'won' | 'lost' | 'unchanged' | 'state_invalid' | 'accepted' | 'already_final' }
  | { outcome: 'unknown_dispute' | 'wrong_merchant' | 'no_evidence' };

/** The database clock in epoch milliseconds, read with a row: the one clock evidence_due_by is compared with. */
const nowMs = sql<number>`(extract(epoch from now()) * 1000)::float8`;

function stateInvalid(row: DisputeRow, reason: 'state_invalid' | 'evidence_late', action: DisputeAction): ApiError {
  const message =
    reason === 'evidence_late'
      ? `Evidence for this dispute was due by ${row.evidenceDueBy.toISOString()}; it can no longer be submitted.`
      : `This dispute is ${row.status}; it cannot be ${action === 'accept' ? 'closed' : 'given evidence'} now.`;
  return new ApiError(409, 'invalid_request_error', 'dispute_state_invalid', message);
}

/**
 * Disputes own their table, their events, their cached reads and their jobs; the payment's side (its lock, `disputed`,
 * its cache) is PaymentsService.openDispute's, and the money moves are the ledger's builders. The card network opens
 * and decides disputes: a poll records what it opened, and jobs carry evidence, acceptance and the deadline to it.
 */
@Injectable()
export class DisputesService {
  private readonly logger = new Logger(DisputesService.name);

  constructor(
    private readonly database: Database,
    private readonly config: AppConfig,
    private readonly payments: PaymentsService,
    private readonly ledger: LedgerService,
    private readonly events: EventsService,
    private readonly outbox: OutboxService,
    private readonly cache: HotCache,
    private readonly network: CardNetwork,
  ) {}

  async get(merchantId: string, disputeId: string): Promise<DisputeObject> {
    const [row] = await this.database.db
      .select()
      .from(disputes)
      .where(and(eq(disputes.id, disputeId), eq(disputes.merchantId, merchantId)))
      .limit(1);
    if (!row) throw apiErrors.resourceMissing('dispute', disputeId);
    return presentDispute(row);
  }

  async list(merchantId: string, query: ListDisputesQuery): Promise<ListObject<DisputeObject>> {
    const own = eq(disputes.merchantId, merchantId);
    const after = await rowsAfter(this.database, disputesKeyset, own, query.starting_after);
    const rows = await this.database.db
      .select()
      .from(disputes)
      .where(
        and(
          own,
          query.status ? eq(disputes.status, query.status) : undefined,
          query.payment_id ? eq(disputes.paymentId, query.payment_id) : undefined,
          after,
        ),
      )
      .orderBy(...newestFirst(disputesKeyset))
      .limit(query.limit + 1);
    return pageOf(rows, query.limit, presentDispute);
  }

  /**
   * The merchant's evidence (POST /v1/disputes/:id/evidence), in the caller's transaction: the dispute moves to
   * under_review (`dispute.updated`) and a job sends the evidence to the network, whose decision closes it later.
   */
  async submitEvidence(tx: Tx, merchantId: string, disputeId: string, text: string): Promise<DisputeObject> {
    const { row, clockMs } = await this.lockOwned(tx, merchantId, disputeId);
    const transition = disputeTransition(row.status, 'submit_evidence', {
      nowMs: clockMs,
      evidenceDueByMs: row.evidenceDueBy.getTime(),
    });
    if (!transition.allowed)
      throw stateInvalid(
        row,
        transition.reason === 'evidence_late' ? 'evidence_late' : 'state_invalid',
        'submit_evidence',
      );
    const [updated] = await tx
      .update(disputes)
      .set({ status: transition.to, evidenceText: text, evidenceSubmittedAt: sql`now()`, updatedAt: sql`now()` })
      .where(eq(disputes.id, row.id))
      .returning();
    const dispute = presentDispute(updated!);
    await this.events.record(tx, merchantId, transition.event, dispute);
    await this.outbox.add(tx, SUBMIT_EVIDENCE_TOPIC, { ...this.jobData(updated!) });
    this.changed(tx, updated!);
    return dispute;
  }

  /**
   * The merchant accepts the dispute (POST /v1/disputes/:id/close): lost at once (`dispute.closed`), the reserve goes
   * to the network, and a job tells the network.
   */
  async close(tx: Tx, merchantId: string, disputeId: string): Promise<DisputeObject> {
    const { row, clockMs } = await this.lockOwned(tx, merchantId, disputeId);
    const dispute = await this.applyTransition(tx, row, 'accept', clockMs);
    if ('refused' in dispute) {
      throw stateInvalid(row, dispute.refused === 'evidence_late' ? 'evidence_late' : 'state_invalid', 'accept');
    }
    await this.outbox.add(tx, ACCEPT_DISPUTE_TOPIC, { ...this.jobData(row) });
    return dispute.dispute;
  }

  /**
   * The poll job: records each dispute the network opened (at most disputeLimits.openedPerPollMax per run), then
   * acknowledges it with our id. A crash between the two lists it again, and the second run finds it recorded.
   */
  async recordOpenedDisputes(): Promise<{ opened: number; skipped: number }> {
    const opened = await this.network.openedDisputes(disputeLimits.openedPerPollMax);
    let recorded = 0;
    let skipped = 0;
    for (const networkDispute of opened) {
      const disputeId = await this.recordOpened(networkDispute);
      if (disputeId === null) {
        skipped += 1;
        continue;
      }
      await this.network.acknowledgeDispute(networkDispute.networkReference, disputeId);
      recorded += 1;
    }
    return { opened: recorded, skipped };
  }

  /**
   * One dispute the network opened, recorded once (by its network reference) in one transaction: the payment locked
   * and marked disputed, the dispute `needs_response`, its amount + fee out of available (dispute_opened) and the
   * network's own fee for it (network_fee), `dispute.created`, and the job at evidence_due_by. Null for a payment we
   * cannot dispute (unknown, not succeeded, nothing left captured): logged, and listed by the network again.
   */
  private async recordOpened(opened: NetworkDispute): Promise<string | null> {
    return this.database.transaction(async (tx) => {
      // The payment's lock first: two polls recording the same dispute wait here, and the second then sees the first.
      const payment = await this.payments.openDispute(tx, opened.paymentId);
      const [existing] = await tx
        .select({ id: disputes.id })
        .from(disputes)
        .where(eq(disputes.networkReference, opened.networkReference))
        .limit(1);
      if (existing) return existing.id;
      if (!payment) {
        this.logger.warn(
          { paymentId: opened.paymentId, networkReference: opened.networkReference },
          'network disputed a payment not (yet) succeeded here: asked again at the next poll',
        );
        return null;
      }
      const amountMinor = disputedAmountMinor(payment.capturedMinor, payment.refundedMinor);
      if (amountMinor === 0) {
        this.logger.warn(
          { paymentId: payment.paymentId, networkReference: opened.networkReference },
          'network disputed a payment refunded in full',
        );
        return null;
      }
      if (amountMinor !== opened.amountMinor) {
        // Ours is API.md's amount; the network's report will show its own, and reconciliation the difference.
        this.logger.warn(
          { paymentId: payment.paymentId, ours: amountMinor, network: opened.amountMinor },
          'disputed amount differs from the network’s',
        );
      }
      const feeMinor = disputeFeeMinor(this.config.disputes.feeMajor, payment.currency);
      const [row] = await tx
        .insert(disputes)
        .values({
          id: newId('dp'),
          merchantId: payment.merchantId,
          paymentId: payment.paymentId,
          networkReference: opened.networkReference,
          amount: BigInt(amountMinor),
          fee: BigInt(feeMinor),
          currency: payment.currency,
          status: 'needs_response',
          reason: opened.reason,
          evidenceDueBy: opened.evidenceDueBy,
        })
        .returning();
      const money = { merchantId: payment.merchantId, currency: payment.currency, amountMinor, feeMinor };
      const owner = { merchantId: payment.merchantId, paymentId: payment.paymentId, disputeId: row!.id };
      await this.ledger.recordMany(tx, [
        { ...owner, ...disputeOpenedMove(money) },
        ...(opened.feeMinor > 0
          ? [
              {
                ...owner,
                kind: 'network_fee' as const,
                postings: postingsForNetworkFee({ currency: payment.currency, feeMinor: opened.feeMinor }),
              },
            ]
          : []),
      ]);
      await this.events.record(tx, payment.merchantId, 'dispute.created', presentDispute(row!));
      const deadline: DisputeDeadlineOutboxPayload = {
        ...this.jobData(row!),
        evidenceDueBy: row!.evidenceDueBy.toISOString(),
      };
      await this.outbox.add(tx, DISPUTE_DEADLINE_TOPIC, { ...deadline });
      this.changed(tx, row!);
      return row!.id;
    });
  }

  /** The evidence job: sends the dispute's evidence to the network (once; a resend answers the same) and applies its decision. */
  async sendEvidence(target: DisputeJobData): Promise<DisputeJobOutcome> {
    const found = await this.jobTarget(target);
    if ('outcome' in found) return found;
    const { row } = found;
    if (row.evidenceText === null) return { outcome: 'no_evidence' };
    const status = await this.network.submitDisputeEvidence(row.networkReference, row.evidenceText);
    return this.applyDecision(row, status);
  }

  /** The acceptance job: tells the network the merchant accepted (idempotent there); ours is lost already. */
  async acceptAtNetwork(target: DisputeJobData): Promise<DisputeJobOutcome> {
    const found = await this.jobTarget(target);
    if ('outcome' in found) return found;
    await this.network.acceptDispute(found.row.networkReference);
    return { outcome: 'accepted' };
  }

  /**
   * The deadline job, at evidence_due_by: the network's decision (lost without evidence) applied. Before the due
   * time by the database's clock (a job run early) it is not due yet.
   */
  async applyDeadline(target: DisputeJobData): Promise<DisputeJobOutcome> {
    const found = await this.jobTarget(target);
    if ('outcome' in found) return found;
    const { row, clockMs } = found;
    if (row.status === 'won' || row.status === 'lost') return { outcome: 'already_final' };
    const dueInMs = row.evidenceDueBy.getTime() - clockMs;
    if (dueInMs > 0) return { outcome: 'not_due', retryInMs: Math.ceil(dueInMs) };
    return this.applyDecision(row, await this.network.disputeStatus(row.networkReference));
  }

  /** The network's decision applied to our dispute (won or lost, `dispute.closed`), once; open asks again later. */
  private async applyDecision(row: DisputeRow, status: NetworkDisputeStatus): Promise<DisputeJobOutcome> {
    if (status.decision === 'open') return { outcome: 'undecided', retryInMs: disputeLimits.undecidedRecheckMs };
    const decision = status.decision;
    const action = decision === 'won' ? 'network_won' : 'network_lost';
    return this.database.transaction(async (tx) => {
      const { row: current, clockMs } = await this.lockOwned(tx, row.merchantId, row.id);
      const applied = await this.applyTransition(tx, current, action, clockMs);
      if (!('refused' in applied)) return { outcome: decision };
      if (applied.refused === 'unchanged') return { outcome: 'unchanged' };
      this.logger.error(
        { disputeId: row.id, status: current.status, decision: status.decision },
        'the network’s decision does not fit the dispute',
      );
      return { outcome: 'state_invalid' };
    });
  }

  /**
   * Moves a locked dispute as `action` says, with its ledger move and its event; the refusal's reason when the status
   * machine says no.
   */
  private async applyTransition(
    tx: Tx,
    row: DisputeRow,
    action: DisputeAction,
    clockMs: number,
  ): Promise<{ dispute: DisputeObject } | { refused: 'state_invalid' | 'evidence_late' | 'unchanged' }> {
    const transition = disputeTransition(row.status, action, {
      nowMs: clockMs,
      evidenceDueByMs: row.evidenceDueBy.getTime(),
    });
    if (!transition.allowed) return { refused: transition.reason };
    const [updated] = await tx
      .update(disputes)
      .set({ status: transition.to, updatedAt: sql`now()` })
      .where(eq(disputes.id, row.id))
      .returning();
    if (transition.ledger) {
      const to = transition.ledger === 'dispute_won' ? 'won' : 'lost';
      await this.ledger.record(tx, {
        merchantId: row.merchantId,
        paymentId: row.paymentId,
        disputeId: row.id,
        ...disputeOutcomeMove(
          { merchantId: row.merchantId, currency: row.currency, amountMinor: amountFromSql(row.amount) },
          to,
        ),
      });
    }
    const dispute = presentDispute(updated!);
    await this.events.record(tx, row.merchantId, transition.event, dispute);
    this.changed(tx, updated!);
    return { dispute };
  }

  /** The dispute a job names, with the database clock, or why the job changes nothing. */
  private async jobTarget(
    target: DisputeJobData,
  ): Promise<{ row: DisputeRow; clockMs: number } | { outcome: 'unknown_dispute' | 'wrong_merchant' }> {
    const [found] = await this.database.db
      .select({ row: disputes, clockMs: nowMs })
      .from(disputes)
      .where(eq(disputes.id, target.disputeId))
      .limit(1);
    if (!found) return { outcome: 'unknown_dispute' };
    if (found.row.merchantId !== target.merchantId) return { outcome: 'wrong_merchant' };
    return { row: found.row, clockMs: Number(found.clockMs) };
  }

  /** The merchant's dispute, row-locked for the rest of the transaction, with the database clock; another merchant's is a 404. */
  private async lockOwned(
    tx: Tx,
    merchantId: string,
    disputeId: string,
  ): Promise<{ row: DisputeRow; clockMs: number }> {
    const [found] = await tx
      .select({ row: disputes, clockMs: nowMs })
      .from(disputes)
      .where(and(eq(disputes.id, disputeId), eq(disputes.merchantId, merchantId)))
      .for('update')
      .limit(1);
    if (!found) throw apiErrors.resourceMissing('dispute', disputeId);
    return { row: found.row, clockMs: Number(found.clockMs) };
  }

  private jobData(row: DisputeRow): DisputeJobData {
    return { disputeId: row.id, merchantId: row.merchantId };
  }

  /** The dispute's cached read is deleted once `tx` commits (a remembered 404 of a new one too). */
  private changed(tx: Tx, row: DisputeRow): void {
    this.cache.invalidateAfterCommit(tx, disputeCache, row.merchantId, row.id);
  }
}
