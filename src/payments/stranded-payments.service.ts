import { Injectable, Logger } from '@nestjs/common';
import { type SQL, sql } from 'drizzle-orm';
import { Counter, Gauge } from 'prom-client';
import { withDeadline } from '../common/deadline';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { MetricsRegistry } from '../metrics/metrics-registry';
import { CardNetworkUnavailableError } from './card-network/card-network.port';
import { PaymentsService } from './payments.service';
import {
  closedKeyOutcomeLabel,
  outcomeOfClosedKey,
  strandedAction,
  strandedCountedPerMerchantMax,
  strandedSweepBatchesMax,
  strandedSweepBatchSizeMax,
  type StrandedThresholds,
  strandedThresholds,
} from './stranded-payments';

const finalizedOutcomes = ['approved', 'declined', 'voided', 'expired'] as const;
type FinalizedOutcome = (typeof finalizedOutcomes)[number];
const deferredReasons = ['network_unavailable', 'failed', 'not_due'] as const;
type DeferredReason = (typeof deferredReasons)[number];

const finalized: ReadonlySet<string> = new Set(finalizedOutcomes);
const deferred: ReadonlySet<string> = new Set(deferredReasons);

// A scrape must answer even when PostgreSQL is slow: the gauge keeps its last values past this deadline.
const countTimeoutMs = 500;

/** What one sweep run did: payments finalized per outcome, left for the next run per reason, moved on meanwhile. */
export type StrandedSweepCounts = Record<FinalizedOutcome | DeferredReason | 'already_final', number>;

export interface StrandedCounts {
  stuckProcessing: number;
  authorizationsOverdue: number;
}

interface CandidateRow extends Record<string, unknown> {
  id: string;
  merchant_id: string;
  status: string;
  created_at_ms: number;
  due_at_ms: number | null;
  now_ms: number;
}

function intervalOfMs(ms: number): SQL {
  return sql`(${ms}::double precision * interval '1 millisecond')`;
}

/**
 * Drives stranded payments (see stranded-payments.ts) to a final state through the same guarded transitions as
 * their jobs: a payment stuck in `processing` is settled by the answer the card network gives when its key is
 * closed, an overdue authorization is expired. Safe to run in several processes at once and next to the jobs:
 * every transition only moves a payment still in the status it expects, and closing a key is final.
 */
@Injectable()
export class StrandedPaymentsService {
  private readonly logger = new Logger(StrandedPaymentsService.name);
  private readonly thresholds: StrandedThresholds;
  private readonly finalized: Counter<'outcome'>;
  private readonly deferred: Counter<'reason'>;

  constructor(
    private readonly database: Database,
    private readonly config: AppConfig,
    private readonly payments: PaymentsService,
    registry: MetricsRegistry,
  ) {
    this.thresholds = strandedThresholds(config.payments);
    this.finalized = new Counter({
      name: 'stranded_payments_finalized_total',
      help:
        'Stranded payments the sweeper finalized: approved or declined by the network, voided (failed, not ' +
        'charged), or expired (authorization canceled)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.deferred = new Counter({
      name: 'stranded_payments_deferred_total',
      help: 'Stranded payments the sweeper left for its next run: network unavailable, failed, or not due',
      labelNames: ['reason'],
      registers: [registry],
    });
    for (const outcome of finalizedOutcomes) this.finalized.inc({ outcome }, 0);
    for (const reason of deferredReasons) this.deferred.inc({ reason }, 0);
    const count = () => withDeadline(this.counts(), countTimeoutMs, 'stranded payments count').catch(() => null);
    new Gauge({
      name: 'payments_stranded',
      help:
        'Stranded payments now: payment_stuck_processing (processing past the retry budget), authorization_overdue ' +
        '(awaiting capture past expiry and grace); the stranded payments sweep finalizes them',
      labelNames: ['check'],
      registers: [registry],
      async collect() {
        const found = await count();
        if (!found) return;
        this.set({ check: 'payment_stuck_processing' }, found.stuckProcessing);
        this.set({ check: 'authorization_overdue' }, found.authorizationsOverdue);
      },
    });
  }

  /** One run: at most `strandedSweepBatchesMax` batches, stopping early once a batch leaves a payment behind. */
  async sweep(): Promise<StrandedSweepCounts> {
    const counts: StrandedSweepCounts = {
      approved: 0,
      declined: 0,
      voided: 0,
      expired: 0,
      network_unavailable: 0,
      failed: 0,
      not_due: 0,
      already_final: 0,
    };
    for (let batch = 0; batch < strandedSweepBatchesMax; batch += 1) {
      const rows = await this.candidates(strandedSweepBatchSizeMax);
      let leftBehind = false;
      for (const row of rows) {
        const result = await this.settle(row);
        counts[result] += 1;
        if (finalized.has(result)) this.finalized.inc({ outcome: result });
        if (deferred.has(result)) {
          this.deferred.inc({ reason: result });
          // The same rows would be read again: leave them to the next run rather than spin on them now.
          leftBehind = true;
        }
      }
      if (rows.length < strandedSweepBatchSizeMax || leftBehind) break;
    }
    if (Object.values(counts).some((count) => count > 0)) {
      const level = counts.network_unavailable + counts.failed > 0 ? 'warn' : 'log';
      this.logger[level]({ ...counts }, 'stranded payments swept');
    }
    return counts;
  }

  /** Stranded payments now, from the merchant/status index (capped per merchant). */
  async counts(): Promise<StrandedCounts> {
    const result = await this.database.db.execute<{ stuck: string; overdue: string }>(sql`
      SELECT
        (SELECT count(*) FROM merchants m CROSS JOIN LATERAL (
           SELECT 1 FROM payments p WHERE p.merchant_id = m.id AND ${this.stuckCondition()}
           LIMIT ${strandedCountedPerMerchantMax}) s) AS stuck,
        (SELECT count(*) FROM merchants m CROSS JOIN LATERAL (
           SELECT 1 FROM payments p WHERE p.merchant_id = m.id AND ${this.overdueCondition()}
           LIMIT ${strandedCountedPerMerchantMax}) s) AS overdue`);
    const row = result.rows[0]!;
    return { stuckProcessing: Number(row.stuck), authorizationsOverdue: Number(row.overdue) };
  }

  private async settle(row: CandidateRow): Promise<keyof StrandedSweepCounts> {
    const candidate = { status: row.status, createdAtMs: row.created_at_ms, authorizationDueAtMs: row.due_at_ms };
    const action = strandedAction(candidate, row.now_ms, this.thresholds);
    try {
      if (action === 'close_network_key') {
        // Closed by the payment's method: a card's key at the network is the payment's id.
        const answer = await this.payments.closeAuthorization(row.id);
        const completed = await this.payments.completeAuthorization(row.id, outcomeOfClosedKey(answer));
        return completed ? closedKeyOutcomeLabel(answer) : 'already_final';
      }
      if (action === 'expire_authorization') {
        const expiry = await this.payments.expireAuthorization({ paymentId: row.id, merchantId: row.merchant_id });
        if (expiry.outcome === 'canceled') return 'expired';
        return expiry.outcome === 'not_due' ? 'not_due' : 'already_final';
      }
      return 'not_due';
    } catch (error) {
      if (error instanceof CardNetworkUnavailableError) return 'network_unavailable';
      this.logger.error({ err: error, paymentId: row.id, action }, 'stranded payment not finalized');
      return 'failed';
    }
  }

  /**
   * Up to `limit` stranded payments, read per merchant through payments_merchant_status_created_idx so that
   * neither the sweep nor a scrape reads the whole table. Times are the database's.
   */
  private async candidates(limit: number): Promise<CandidateRow[]> {
    const columns = sql`p.id, p.merchant_id, p.status,
      (extract(epoch FROM p.created_at) * 1000)::float8 AS created_at_ms,
      (extract(epoch FROM ${this.authorizationDueAt()}) * 1000)::float8 AS due_at_ms`;
    const result = await this.database.db.execute<CandidateRow>(sql`
      SELECT s.*, (extract(epoch FROM now()) * 1000)::float8 AS now_ms
      FROM merchants m CROSS JOIN LATERAL (
        (SELECT ${columns} FROM payments p WHERE p.merchant_id = m.id AND ${this.stuckCondition()} LIMIT ${limit})
        UNION ALL
        (SELECT ${columns} FROM payments p WHERE p.merchant_id = m.id AND ${this.overdueCondition()} LIMIT ${limit})
      ) s
      LIMIT ${limit}`);
    return result.rows;
  }

  /** `processing` is a payment's first status, so its age is counted from created_at (indexed). */
  private stuckCondition(): SQL {
    return sql`p.status = 'processing' AND p.created_at < now() - ${intervalOfMs(this.thresholds.processingBudgetMs)}`;
  }

  /**
   * Past the stored expiry and the grace. An authorization is due no sooner than AUTHORIZATION_EXPIRY_MS after the
   * payment was created, so the created_at bound narrows the index range without losing a row (unless the expiry
   * was raised since it was authorized: then it is found that much later).
   */
  private overdueCondition(): SQL {
    const graceMs = this.thresholds.authorizationGraceMs;
    return sql`p.status = 'requires_capture'
      AND p.created_at < now() - ${intervalOfMs(graceMs + this.config.authorizationExpiryMs)}
      AND ${this.authorizationDueAt()} < now() - ${intervalOfMs(graceMs)}`;
  }

  /** As PaymentsService reads it: rows authorized before the column existed fall back to updated_at + expiry. */
  private authorizationDueAt(): SQL {
    return sql`coalesce(p.authorization_expires_at, p.updated_at + ${intervalOfMs(this.config.authorizationExpiryMs)})`;
  }
}
