import { Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { newId } from '../../common/ids';
import { currencyExponent } from '../../common/money/currency';
import { amountFromSql } from '../../common/money/money';
import { AppConfig } from '../../config/app-config';
import { runStatement, statement } from '../../database/statement';
import { Database } from '../../database/database';
import type { ItemOutcome } from '../../database/group-commit';
import { feeMinor } from '../../ledger/ledger-transaction';
import { cardNetworkLimits } from './card-network.limits';
import type {
  NetworkDispute,
  NetworkDisputeStatus,
  NetworkMovement,
  NetworkMovementRequest,
  SettlementReportLine,
} from './card-network.port';
import { adjustedReport, type ReportAdjustment, utcDayRange } from './settlement-report';

function intervalOfMs(ms: number) {
  return sql`(${ms}::double precision * interval '1 millisecond')`;
}

/** The network's fee per dispute in the currency's minor units. */
function disputeFeeOf(currency: string): number {
  return cardNetworkLimits.disputeFeeMajor * 10 ** currencyExponent(currency);
}

interface DisputeRow extends Record<string, unknown> {
  reference: string;
  payment_id: string;
  amount: string | null;
  currency: string;
  reason: 'fraudulent';
  /** Epoch milliseconds (a timestamp's text form is not one Date parses everywhere). */
  opens_at: number;
  evidence_due_by: number;
  decision: 'won' | 'lost' | null;
  decided_at: number | null;
}

/**
 * The simulated card network's books: its journal of what it settled (captures, refunds, lost disputes and its
 * fees) and its disputes. Written only here (the simulator's side), never by ledger code; each movement is stored
 * once per idempotency key, in one statement with its fee, so a retried call finds what the first one recorded.
 */
@Injectable()
export class SimulatedNetworkBooks {
  constructor(
    private readonly database: Database,
    private readonly config: AppConfig,
  ) {}

  /**
   * A capture (with its interchange fee line) or a refund, recorded once under the request's key; a capture of a
   * payment whose card is disputed starts its dispute's clock.
   */
  async record(type: 'capture' | 'refund', request: NetworkMovementRequest): Promise<NetworkMovement> {
    const fee = type === 'capture' ? feeMinor(request.amountMinor, cardNetworkLimits.interchangeFees) : 0;
    const result = await this.database.transaction(async (tx) => {
      await tx.execute(sql`
        WITH movement AS (
          INSERT INTO card_network_journal
            (reference, idempotency_key, type, payment_id, refund_id, related_reference, amount, currency)
          VALUES (${newId('net')}, ${request.idempotencyKey}, ${type}, ${request.paymentId}, ${request.refundId ?? null},
                  ${request.authorizationReference}, ${String(request.amountMinor)}, ${request.currency})
          ON CONFLICT (idempotency_key) DO NOTHING
          RETURNING reference)
        INSERT INTO card_network_journal
          (reference, idempotency_key, type, payment_id, related_reference, amount, currency)
        SELECT ${newId('net')}, ${`fee:${request.idempotencyKey}`}, 'fee', ${request.paymentId}, movement.reference,
               ${String(fee)}, ${request.currency}
          FROM movement WHERE ${fee} > 0`);
      if (type === 'capture') {
        const opensAt = sql`now() + ${intervalOfMs(this.config.disputes.delayMs)}`;
        await tx.execute(sql`
          UPDATE card_network_disputes SET opens_at = ${opensAt},
                 evidence_due_by = ${opensAt} + ${intervalOfMs(this.config.disputes.evidenceWindowMs)}
           WHERE payment_id = ${request.paymentId} AND opens_at IS NULL`);
      }
      return tx.execute<{ reference: string; fee: string | null }>(sql`
        SELECT line.reference, fee.amount::text AS fee
          FROM card_network_journal line
          LEFT JOIN card_network_journal fee ON fee.idempotency_key = 'fee:' || line.idempotency_key
         WHERE line.idempotency_key = ${request.idempotencyKey}`);
    });
    const row = result.rows[0];
    if (!row) throw new Error(`no network journal line for ${request.idempotencyKey}`);
    return { networkReference: row.reference, feeMinor: row.fee === null ? 0 : amountFromSql(row.fee) };
  }

  /**
   * `record('capture', …)` for a batch of sales (captures asked with their authorization, none of a disputed card:
   * those start a dispute's clock, which `record` does), in one statement: each capture with its fee line, once per
   * key. A key recorded before (a sale asked again) is read back as `record` would.
   */
  async recordCaptures(requests: readonly NetworkMovementRequest[]): Promise<ItemOutcome<NetworkMovement>[]> {
    const keys = requests.map((request) => request.idempotencyKey);
    if (new Set(keys).size !== keys.length) throw new Error('a capture is recorded twice in one batch');
    const fees = requests.map((request) => feeMinor(request.amountMinor, cardNetworkLimits.interchangeFees));
    const column = <T>(value: (request: NetworkMovementRequest, index: number) => T) => requests.map(value);
    const recorded = await runStatement<{ idempotency_key: string; reference: string }>(
      this.database.db,
      statement`
      WITH asked AS (
        SELECT * FROM unnest(${column(() => newId('net'))}::text[], ${keys}::text[],
                             ${column((request) => request.paymentId)}::text[],
                             ${column((request) => request.authorizationReference)}::text[],
                             ${column((request) => String(request.amountMinor))}::bigint[],
                             ${column((request) => request.currency)}::text[],
                             ${column(() => newId('net'))}::text[], ${column((_, index) => String(fees[index]))}::bigint[])
          AS asked(reference, idempotency_key, payment_id, related_reference, amount, currency, fee_reference, fee)),
      movement AS (
        INSERT INTO card_network_journal
          (reference, idempotency_key, type, payment_id, related_reference, amount, currency)
        SELECT reference, idempotency_key, 'capture', payment_id, related_reference, amount, currency
          FROM asked ORDER BY idempotency_key
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING reference, idempotency_key),
      fee AS (
        INSERT INTO card_network_journal
          (reference, idempotency_key, type, payment_id, related_reference, amount, currency)
        SELECT asked.fee_reference, 'fee:' || asked.idempotency_key, 'fee', asked.payment_id, movement.reference,
               asked.fee, asked.currency
          FROM movement JOIN asked USING (idempotency_key)
         WHERE asked.fee > 0)
      SELECT idempotency_key, reference FROM movement`,
    );
    const references = new Map(recorded.rows.map((row) => [row.idempotency_key, row.reference]));
    return Promise.all(
      requests.map(async (request, index): Promise<ItemOutcome<NetworkMovement>> => {
        const reference = references.get(request.idempotencyKey);
        if (reference) return { ok: true, value: { networkReference: reference, feeMinor: fees[index]! } };
        try {
          return { ok: true, value: await this.record('capture', request) };
        } catch (error) {
          return { ok: false, error };
        }
      }),
    );
  }

  /** The disputed test card was approved: its dispute waits for the capture (idempotent per payment). */
  async scheduleDispute(paymentId: string, authorizationReference: string, currency: string): Promise<void> {
    await this.database.db.execute(sql`
      INSERT INTO card_network_disputes (reference, payment_id, authorization_reference, currency)
      VALUES (${newId('net')}, ${paymentId}, ${authorizationReference}, ${currency})
      ON CONFLICT (payment_id) DO NOTHING`);
  }

  /**
   * Disputes due to open and not acknowledged, oldest first. The disputed amount is fixed when a dispute is first
   * listed: what the network captured minus what it refunded for the payment then.
   */
  async openedDisputes(limit: number): Promise<NetworkDispute[]> {
    const listed = Math.min(Math.max(1, limit), cardNetworkLimits.openedDisputesListedMax);
    const rows = await this.database.transaction(async (tx) => {
      await tx.execute(sql`
        UPDATE card_network_disputes dispute
           SET amount = coalesce((SELECT sum(CASE type WHEN 'capture' THEN amount ELSE -amount END)
                                    FROM card_network_journal
                                   WHERE payment_id = dispute.payment_id AND type IN ('capture', 'refund')), 0)
         WHERE opens_at <= now() AND amount IS NULL`);
      return tx.execute<DisputeRow>(sql`
        SELECT reference, payment_id, amount::text, currency, reason, (extract(epoch from opens_at) * 1000)::float8 AS opens_at, (extract(epoch from evidence_due_by) * 1000)::float8 AS evidence_due_by,
               decision, (extract(epoch from decided_at) * 1000)::float8 AS decided_at
          FROM card_network_disputes
         WHERE opens_at <= now() AND acknowledged_at IS NULL AND amount > 0
         ORDER BY opens_at, reference
         LIMIT ${listed}`);
    });
    return rows.rows.map((row) => ({
      networkReference: row.reference,
      paymentId: row.payment_id,
      amountMinor: amountFromSql(row.amount!),
      currency: row.currency,
      reason: row.reason,
      feeMinor: disputeFeeOf(row.currency),
      openedAt: new Date(row.opens_at),
      evidenceDueBy: new Date(row.evidence_due_by),
    }));
  }

  /** Our id for the dispute; the network's fee for the dispute is journaled then (once). */
  async acknowledgeDispute(networkReference: string, disputeId: string): Promise<void> {
    await this.database.transaction(async (tx) => {
      const updated = await tx.execute<{ payment_id: string; currency: string; dispute_id: string }>(sql`
        UPDATE card_network_disputes SET dispute_id = coalesce(dispute_id, ${disputeId}),
               acknowledged_at = coalesce(acknowledged_at, now())
         WHERE reference = ${networkReference} AND opens_at <= now()
        RETURNING payment_id, currency, dispute_id`);
      const row = updated.rows[0];
      if (!row) throw new Error(`no open network dispute ${networkReference}`);
      if (row.dispute_id !== disputeId) {
        throw new Error(`network dispute ${networkReference} is already acknowledged as ${row.dispute_id}`);
      }
      const fee = disputeFeeOf(row.currency);
      await tx.execute(sql`
        INSERT INTO card_network_journal
          (reference, idempotency_key, type, payment_id, dispute_id, related_reference, amount, currency)
        VALUES (${newId('net')}, ${`dispute_fee:${networkReference}`}, 'fee', ${row.payment_id}, ${disputeId},
                ${networkReference}, ${String(fee)}, ${row.currency})
        ON CONFLICT (idempotency_key) DO NOTHING`);
    });
  }

  /** The evidence, once; the network decides at once: `winning_evidence` in the text wins, anything else loses. */
  async submitEvidence(networkReference: string, text: string): Promise<NetworkDisputeStatus> {
    const kept = text.slice(0, cardNetworkLimits.evidenceLengthMax);
    const decision = kept.includes('winning_evidence') ? 'won' : 'lost';
    await this.database.db.execute(sql`
      UPDATE card_network_disputes SET evidence_text = ${kept}, evidence_submitted_at = now(), decision = ${decision},
             decided_at = now()
       WHERE reference = ${networkReference} AND decision IS NULL AND evidence_submitted_at IS NULL
         AND evidence_due_by > now()`);
    return this.status(networkReference);
  }

  async accept(networkReference: string): Promise<NetworkDisputeStatus> {
    await this.database.db.execute(sql`
      UPDATE card_network_disputes SET decision = 'lost', decided_at = now()
       WHERE reference = ${networkReference} AND decision IS NULL`);
    return this.status(networkReference);
  }

  /**
   * Where the dispute stands; a dispute without evidence past its due date is lost now. A lost dispute's amount is
   * journaled (once) when the loss is decided or first seen.
   */
  async status(networkReference: string): Promise<NetworkDisputeStatus> {
    return this.database.transaction(async (tx) => {
      await tx.execute(sql`
        UPDATE card_network_disputes SET decision = 'lost', decided_at = evidence_due_by
         WHERE reference = ${networkReference} AND decision IS NULL AND evidence_due_by <= now()`);
      const found = await tx.execute<DisputeRow & { dispute_id: string | null }>(sql`
        SELECT reference, payment_id, amount::text, currency, decision, (extract(epoch from decided_at) * 1000)::float8 AS decided_at, dispute_id
          FROM card_network_disputes WHERE reference = ${networkReference}`);
      const row = found.rows[0];
      if (!row) throw new Error(`no network dispute ${networkReference}`);
      if (row.decision === 'lost' && row.amount !== null && amountFromSql(row.amount) > 0) {
        await tx.execute(sql`
          INSERT INTO card_network_journal
            (reference, idempotency_key, type, payment_id, dispute_id, related_reference, amount, currency)
          VALUES (${newId('net')}, ${`dispute:${networkReference}`}, 'dispute', ${row.payment_id}, ${row.dispute_id},
                  ${networkReference}, ${row.amount}, ${row.currency})
          ON CONFLICT (idempotency_key) DO NOTHING`);
      }
      return {
        decision: row.decision ?? 'open',
        decidedAt: row.decided_at === null ? null : new Date(row.decided_at),
      };
    });
  }

  /**
   * The journal's lines of the UTC day, oldest first (a movement before the fee written with it), with the test hook's
   * adjustments of that day applied.
   */
  async report(day: string): Promise<SettlementReportLine[]> {
    const range = utcDayRange(day);
    if (!range) throw new RangeError(`not a day: ${JSON.stringify(day)} (YYYY-MM-DD)`);
    const lines = await this.database.db.execute<{
      type: SettlementReportLine['type'];
      payment_id: string;
      refund_id: string | null;
      dispute_id: string | null;
      reference: string;
      amount: string;
      currency: string;
    }>(sql`
      SELECT type, payment_id, refund_id, dispute_id, reference, amount::text, currency
        FROM card_network_journal
       WHERE created_at >= ${range.start.toISOString()}::timestamptz AND created_at < ${range.end.toISOString()}::timestamptz
       ORDER BY created_at, type = 'fee', reference
       LIMIT ${cardNetworkLimits.reportLinesMax}`);
    const adjustments = await this.database.db.execute<{ action: string; reference: string | null; line: unknown }>(
      sql`SELECT action, reference, line FROM card_network_report_adjustments WHERE day = ${day} ORDER BY id`,
    );
    return adjustedReport(
      lines.rows.map((row) => ({
        type: row.type,
        payment_id: row.payment_id,
        refund_id: row.refund_id,
        dispute_id: row.dispute_id,
        network_reference: row.reference,
        amount: amountFromSql(row.amount),
        currency: row.currency,
      })),
      adjustments.rows.map((row) => reportAdjustmentOf(row)),
    );
  }
}

function reportAdjustmentOf(row: { action: string; reference: string | null; line: unknown }): ReportAdjustment {
  if (row.action === 'drop' && row.reference) return { action: 'drop', reference: row.reference };
  if (row.action === 'alter' && row.reference) {
    return { action: 'alter', reference: row.reference, changes: row.line as Partial<SettlementReportLine> };
  }
  if (row.action === 'add') return { action: 'add', line: row.line as SettlementReportLine };
  throw new Error(`malformed report adjustment ${row.action}`);
}
