import { Injectable } from '@nestjs/common';
import { type SQL, sql } from 'drizzle-orm';
import { AppConfig } from '../config/app-config';
import { amountFromSql } from '../common/money/money';
import { Database, type Tx } from '../database/database';
import { ledgerVerifications } from '../database/schema';
import { expectedLedger, moneyMoved, type PaymentMoney, recordedSettlement } from '../payments/payment-transitions';
import { postingDifferences, type PostingSums, sumPostings } from '../ledger/summed-postings';
import type { CaptureMethod, PaymentStatus } from '../payments/payment-status';
import { type StrandedCheck, strandedThresholds } from '../payments/stranded-payments';
import { LEDGER_TRANSACTION_KINDS, PAYMENT_TRANSACTION_KINDS, postingsForRefund } from '../ledger/ledger-transaction';
import { LedgerChecks } from './ledger-checks.service';
import type { LedgerFinding, LedgerMismatch, LedgerVerification } from './ledger-verification.presenter';

type MismatchRow = Omit<LedgerMismatch, 'check'> & { check_name: LedgerMismatch['check'] } & Record<string, unknown>;

// A report lists at most this many mismatches: enough to act on, bounded in size however broken the data is.
const mismatchesReportedMax = 100;
// Likewise for findings.
const findingsReportedMax = 100;
// Payments read per batch (keyset over their ids) in the verification's snapshot: memory stays bounded.
const paymentsPerBatch = 500;

interface PaymentStateRow extends Record<string, unknown> {
  id: string;
  merchant_id: string;
  currency: string;
  status: PaymentStatus;
  capture_method: CaptureMethod;
  amount: string;
  amount_capturable: string;
  amount_captured: string;
  amount_refunded: string;
}

interface PostingSumRow extends Record<string, unknown> {
  owner_id: string;
  transaction_kind: string;
  account_kind: string;
  amount: string;
}

function addSum(sums: Map<string, PostingSums>, row: PostingSumRow): void {
  let owned = sums.get(row.owner_id);
  if (!owned) sums.set(row.owner_id, (owned = new Map<string, number>()));
  const amount = amountFromSql(row.amount);
  if (amount !== 0) owned.set(`${row.transaction_kind}/${row.account_kind}`, amount);
}

/**
 * The recorded postings of the payments or refunds `ids`, summed per owner by transaction kind and account kind
 * (`owner`: the ledger_transactions column that names them). Only the payment's own kinds: a dispute's transactions
 * and a network fee name the payment too, and are proved on their own.
 */
async function recordedSums(tx: Tx, owner: 'payment_id' | 'refund_id', ids: SQL): Promise<Map<string, PostingSums>> {
  const ownerColumn = sql.raw(`t.${owner}`);
  const recorded = new Map<string, PostingSums>();
  const rows = await tx.execute<PostingSumRow>(sql`
    SELECT ${ownerColumn} AS owner_id, t.kind AS transaction_kind, a.kind AS account_kind, sum(p.amount)::text AS amount
    FROM ledger_transactions t
    JOIN ledger_postings p ON p.transaction_id = t.id
    JOIN ledger_accounts a ON a.id = p.account_id
    WHERE ${ownerColumn} IN (${ids}) AND t.kind = ANY(${sql.param([...PAYMENT_TRANSACTION_KINDS])}::text[])
    GROUP BY ${ownerColumn}, t.kind, a.kind`);
  for (const row of rows.rows) addSum(recorded, row);
  return recorded;
}

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
    private readonly checks: LedgerChecks,
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
            SELECT 'transaction_kind' AS check_name, id, '' AS currency, 'a known kind' AS expected, kind AS actual
            FROM ledger_transactions WHERE kind <> ALL(${sql.param([...LEDGER_TRANSACTION_KINDS])}::text[])
            LIMIT ${mismatchesReportedMax}`)),
        ];
        await this.comparePostings(tx, mismatches);
        for (const check of this.checks.registered()) {
          if (mismatches.length >= mismatchesReportedMax) break;
          for (const found of await check.run(tx, mismatchesReportedMax - mismatches.length)) {
            const { check: checkName, ...rest } = found;
            mismatches.push({ check_name: checkName, ...rest });
          }
        }
        const findings = await this.findings(tx);
        return {
          balanced: mismatches.length === 0,
          transactions_checked: Number(checked.rows[0]!.count),
          mismatches: mismatches
            .slice(0, mismatchesReportedMax)
            .map(({ check_name, id, currency, account, expected, actual }) => ({
              check: check_name,
              id,
              currency,
              ...(account === undefined ? {} : { account }),
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
   * Every payment's and refund's recorded postings against the ones its stored state implies, rebuilt with the
   * transitions' own builders (payment-transitions.ts `expectedLedger`, ledger-transaction.ts `postingsForRefund`),
   * summed per transaction kind and account kind. The capture fee is the one the payment's capture recorded: the
   * fee schedule is configuration and may have changed since, and the payment does not store its fee. The fee
   * posting is still checked: a fee outside 0..captured, or net plus fee that is not the captured amount, differs.
   * Payments are read in batches by id, so memory stays bounded; stops once the report is full.
   */
  private async comparePostings(tx: Tx, mismatches: MismatchRow[]): Promise<void> {
    let after = '';
    for (;;) {
      if (mismatches.length >= mismatchesReportedMax) return;
      const batch = (
        await tx.execute<PaymentStateRow>(sql`
          SELECT id, merchant_id, currency, status, capture_method, amount::text, amount_capturable::text,
                 amount_captured::text, amount_refunded::text
          FROM payments WHERE id > ${after} ORDER BY id LIMIT ${paymentsPerBatch}`)
      ).rows;
      if (batch.length === 0) return;
      after = batch[batch.length - 1]!.id;
      const ids = sql.join(
        batch.map((row) => sql`${row.id}`),
        sql`, `,
      );
      const recorded = await recordedSums(tx, 'payment_id', ids);
      for (const row of batch) this.comparePayment(row, recorded.get(row.id) ?? new Map<string, number>(), mismatches);
      await this.compareRefunds(tx, ids, mismatches);
    }
  }

  private comparePayment(row: PaymentStateRow, recorded: PostingSums, mismatches: MismatchRow[]): void {
    const payment: PaymentMoney = {
      merchantId: row.merchant_id,
      currency: row.currency,
      status: row.status,
      captureMethod: row.capture_method,
      amount: amountFromSql(row.amount),
      amountCapturable: amountFromSql(row.amount_capturable),
      amountCaptured: amountFromSql(row.amount_captured),
      amountRefunded: amountFromSql(row.amount_refunded),
    };
    const report = (
      check: MismatchRow['check_name'],
      expected: number | string,
      actual: number | string,
      account?: string,
    ) =>
      mismatches.push({
        check_name: check,
        id: row.id,
        currency: row.currency,
        ...(account === undefined ? {} : { account }),
        expected: String(expected),
        actual: String(actual),
      });
    // The payment's amounts against what its postings mean (the names of the checks before payment_postings).
    const moved = moneyMoved(recorded);
    if (payment.amountCaptured !== moved.captured)
      report('payment_amount_captured', payment.amountCaptured, moved.captured);
    if (payment.amountRefunded !== moved.refunded)
      report('payment_amount_refunded', payment.amountRefunded, moved.refunded);
    if (payment.amountCapturable !== moved.held)
      report('payment_amount_capturable', payment.amountCapturable, moved.held);
    // Every posting the state implies, per transaction kind and account kind.
    const expected = expectedLedger(payment, recordedSettlement(recorded, payment.amountCaptured));
    if (expected === null) {
      report(
        'payment_state',
        'a state the payment transitions reach',
        `${payment.status} ${payment.captureMethod}: amount ${payment.amount}, capturable ${payment.amountCapturable}, ` +
          `captured ${payment.amountCaptured}, refunded ${payment.amountRefunded}`,
      );
      return;
    }
    for (const difference of postingDifferences(sumPostings(expected), recorded)) {
      report('payment_postings', difference.expected, difference.actual, difference.key);
    }
  }

  /** Each refund of the batch's payments against the postings of its own ledger transaction. */
  private async compareRefunds(tx: Tx, paymentIds: SQL, mismatches: MismatchRow[]): Promise<void> {
    const refundRows = (
      await tx.execute<{ id: string; merchant_id: string; currency: string; amount: string }>(sql`
        SELECT id, merchant_id, currency, amount::text FROM refunds WHERE payment_id IN (${paymentIds}) ORDER BY id`)
    ).rows;
    if (refundRows.length === 0) return;
    const recorded = await recordedSums(
      tx,
      'refund_id',
      sql.join(
        refundRows.map((row) => sql`${row.id}`),
        sql`, `,
      ),
    );
    for (const row of refundRows) {
      const amount = amountFromSql(row.amount);
      const actual = recorded.get(row.id) ?? new Map<string, number>();
      const refunded = 0 - (actual.get('refund/network_clearing') ?? 0);
      if (refunded !== amount) {
        mismatches.push({
          check_name: 'refund_amount',
          id: row.id,
          currency: row.currency,
          expected: String(amount),
          actual: String(refunded),
        });
      }
      // The part from pending as recorded, within 0..amount: a refund's split depends on what was still pending
      // then, which no stored state keeps; a wrong split still shows in the payment's and the accounts' checks.
      const fromPendingMinor = Math.min(Math.max(actual.get('refund/merchant_pending') ?? 0, 0), Math.max(amount, 0));
      const expected = sumPostings([
        {
          kind: 'refund',
          postings: postingsForRefund({
            merchantId: row.merchant_id,
            currency: row.currency,
            amountMinor: amount,
            fromPendingMinor,
          }),
        },
      ]);
      for (const difference of postingDifferences(expected, actual)) {
        mismatches.push({
          check_name: 'payment_postings',
          id: row.id,
          currency: row.currency,
          account: difference.key,
          expected: String(difference.expected),
          actual: String(difference.actual),
        });
      }
    }
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
