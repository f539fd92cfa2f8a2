import { Injectable } from '@nestjs/common';
import { type SQL, sql } from 'drizzle-orm';
import { AppConfig } from '../config/app-config';
import { Database, type Tx } from '../database/database';
import { ledgerVerifications } from '../database/schema';
import { type StrandedCheck, strandedThresholds } from '../payments/stranded-payments';

export interface LedgerMismatch {
  check:
    | 'transaction_unbalanced'
    | 'account_balance'
    | 'payment_amount_captured'
    | 'payment_amount_refunded'
    | 'payment_amount_capturable'
    | 'refund_amount';
  id: string;
  currency?: string;
  expected: string;
  actual: string;
}

/**
 * A payment nobody will move on its own (the stranded payments sweep finalizes it): not a ledger mismatch, its
 * money and postings still agree. `since`: when it entered processing, or when its authorization was due.
 */
export interface LedgerFinding {
  check: StrandedCheck;
  id: string;
  since: string;
}

export interface LedgerVerification {
  balanced: boolean;
  transactions_checked: number;
  mismatches: LedgerMismatch[];
  /** Stranded payments, oldest first; they do not make `balanced` false and are not stored. */
  findings: LedgerFinding[];
}

type MismatchRow = Omit<LedgerMismatch, 'check'> & { check_name: LedgerMismatch['check'] } & Record<string, unknown>;

// A report lists at most this many mismatches: enough to act on, bounded in size however broken the data is.
const mismatchesReportedMax = 100;
// Likewise for findings.
const findingsReportedMax = 100;

function intervalOfMs(ms: number): SQL {
  return sql`(${ms}::double precision * interval '1 millisecond')`;
}

/**
 * Proves the ledger from its postings: every transaction sums to zero per currency, every kept balance equals
 * its postings, and every payment's and refund's amounts equal the money the ledger moved for them.
 */
@Injectable()
export class LedgerVerifier {
  constructor(
    private readonly database: Database,
    private readonly config: AppConfig,
  ) {}

  async verify(): Promise<LedgerVerification> {
    const result = await this.database.transaction(
      async (tx) => {
        const run = async (query: ReturnType<typeof sql>) => (await tx.execute<MismatchRow>(query)).rows;
        const checked = await tx.execute<{ count: string }>(sql`SELECT count(*) FROM ledger_transactions`);
        const mismatches = [
          ...(await run(sql`
            SELECT 'transaction_unbalanced' AS check_name, transaction_id AS id, currency, '0' AS expected, sum(amount)::text AS actual
            FROM ledger_postings GROUP BY transaction_id, currency HAVING sum(amount) <> 0`)),
          ...(await run(sql`
            SELECT 'account_balance' AS check_name, a.id, a.currency,
                   coalesce(sum(p.amount), 0)::text AS expected, a.balance::text AS actual
            FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id
            WHERE a.merchant_id IS NOT NULL
            GROUP BY a.id HAVING a.balance <> coalesce(sum(p.amount), 0)`)),
          ...(await run(sql`
            WITH moved AS (
              SELECT t.payment_id,
                     coalesce(sum(p.amount) FILTER (WHERE a.kind = 'network_clearing' AND t.kind = 'payment_capture'), 0) AS captured,
                     coalesce(-sum(p.amount) FILTER (WHERE a.kind = 'network_clearing' AND t.kind = 'refund'), 0) AS refunded,
                     coalesce(-sum(p.amount) FILTER (WHERE a.kind = 'merchant_authorized'), 0) AS held
              FROM ledger_transactions t
              JOIN ledger_postings p ON p.transaction_id = t.id
              JOIN ledger_accounts a ON a.id = p.account_id
              GROUP BY t.payment_id)
            SELECT m.check_name, pay.id, pay.currency, m.expected, m.actual
            FROM payments pay
            LEFT JOIN moved ON moved.payment_id = pay.id
            CROSS JOIN LATERAL (VALUES
              ('payment_amount_captured', pay.amount_captured::text, coalesce(moved.captured, 0)::text),
              ('payment_amount_refunded', pay.amount_refunded::text, coalesce(moved.refunded, 0)::text),
              ('payment_amount_capturable', pay.amount_capturable::text, coalesce(moved.held, 0)::text)
            ) AS m(check_name, expected, actual)
            WHERE m.expected <> m.actual`)),
          ...(await run(sql`
            SELECT 'refund_amount' AS check_name, r.id, r.currency, r.amount::text AS expected,
                   coalesce(-sum(p.amount) FILTER (WHERE a.kind = 'network_clearing'), 0)::text AS actual
            FROM refunds r
            LEFT JOIN ledger_transactions t ON t.refund_id = r.id
            LEFT JOIN ledger_postings p ON p.transaction_id = t.id
            LEFT JOIN ledger_accounts a ON a.id = p.account_id
            GROUP BY r.id HAVING r.amount <> coalesce(-sum(p.amount) FILTER (WHERE a.kind = 'network_clearing'), 0)`)),
        ];
        const findings = await this.findings(tx);
        return {
          balanced: mismatches.length === 0,
          transactions_checked: Number(checked.rows[0]!.count),
          mismatches: mismatches
            .slice(0, mismatchesReportedMax)
            .map(({ check_name, id, currency, expected, actual }) => ({
              check: check_name,
              id,
              currency,
              expected,
              actual,
            })),
          findings,
        };
      },
      // One consistent snapshot: payments and postings are read as of the same moment.
      { isolationLevel: 'repeatable read', accessMode: 'read only' },
    );
    await this.database.db.insert(ledgerVerifications).values({
      balanced: result.balanced,
      transactionsChecked: result.transactions_checked,
      mismatches: result.mismatches,
    });
    return result;
  }

  /**
   * Payments stuck in processing past the retry budget and authorizations past their expiry and its grace, by the
   * rules of the stranded payments sweep (stranded-payments.ts), read in the verification's snapshot.
   */
  private async findings(tx: Tx): Promise<LedgerFinding[]> {
    const thresholds = strandedThresholds(this.config.payments);
    const dueAt = sql`coalesce(authorization_expires_at, updated_at + ${intervalOfMs(this.config.authorizationExpiryMs)})`;
    const rows = await tx.execute<{ check_name: StrandedCheck; id: string; since: Date | string }>(sql`
      SELECT check_name, id, since FROM (
        SELECT 'payment_stuck_processing' AS check_name, id, created_at AS since FROM payments
        WHERE status = 'processing' AND created_at < now() - ${intervalOfMs(thresholds.processingBudgetMs)}
        UNION ALL
        SELECT 'authorization_overdue' AS check_name, id, ${dueAt} AS since FROM payments
        WHERE status = 'requires_capture' AND ${dueAt} < now() - ${intervalOfMs(thresholds.authorizationGraceMs)}
      ) found
      ORDER BY since, id
      LIMIT ${findingsReportedMax}`);
    return rows.rows.map((row) => ({ check: row.check_name, id: row.id, since: new Date(row.since).toISOString() }));
  }

  /** The newest stored verification, for metrics; null before the first run. Findings are not stored. */
  async latest(): Promise<(Omit<LedgerVerification, 'findings'> & { verified_at: string }) | null> {
    const rows = await this.database.db.execute<{
      balanced: boolean;
      transactions_checked: number;
      mismatches: LedgerMismatch[];
      created_at: Date | string;
    }>(
      sql`SELECT balanced, transactions_checked, mismatches, created_at FROM ledger_verifications ORDER BY id DESC LIMIT 1`,
    );
    const row = rows.rows[0];
    if (!row) return null;
    return {
      balanced: row.balanced,
      transactions_checked: row.transactions_checked,
      mismatches: row.mismatches,
      verified_at: new Date(row.created_at).toISOString(),
    };
  }
}
