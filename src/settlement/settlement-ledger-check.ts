import { Injectable, type OnModuleInit } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { amountFromSql } from '../common/money/money';
import type { Tx } from '../database/database';
import { LedgerChecks } from '../verification/ledger-checks.service';

// Release transactions read per batch (keyset over their ids) in the verification's snapshot: memory stays bounded.
const releasesPerBatch = 500;

/** The verifier's mismatch, as LedgerChecks takes it. */
type LedgerMismatch = Awaited<ReturnType<Parameters<LedgerChecks['register']>[0]['run']>>[number];

interface ReleasedRow extends Record<string, unknown> {
  transaction_id: string;
  merchant_id: string;
  currency: string;
  released: string;
}

interface PostingRow extends Record<string, unknown> {
  transaction_id: string;
  account_kind: string;
  merchant_id: string | null;
  currency: string;
  amount: string;
}

/**
 * The verifier's proof of settlement releases (check `settlement_release`): each settlement_release transaction
 * moved exactly what the pending rows that name it released, D merchant_pending and C merchant_available of the
 * rows' merchant and currency, and posts nothing else; a row that names a transaction of another kind is a mismatch
 * too. A release that moved money no row accounts for, or one recorded twice for the same rows, is found. And each
 * merchant's pending balance equals what its unreleased rows hold (comparePending).
 */
@Injectable()
export class SettlementLedgerCheck implements OnModuleInit {
  constructor(private readonly checks: LedgerChecks) {}

  onModuleInit(): void {
    this.checks.register({ name: 'settlement releases', run: (tx, limit) => this.run(tx, limit) });
  }

  async run(tx: Tx, limit: number): Promise<LedgerMismatch[]> {
    const mismatches: LedgerMismatch[] = [];
    const misnamed = await tx.execute<{ payment_id: string; currency: string; amount: string }>(sql`
      SELECT s.payment_id, s.currency, s.amount::text AS amount
        FROM pending_settlements s JOIN ledger_transactions t ON t.id = s.release_transaction_id
       WHERE t.kind <> 'settlement_release'
       ORDER BY s.payment_id LIMIT ${limit}`);
    for (const row of misnamed.rows) {
      mismatches.push({
        check: 'settlement_release',
        id: row.payment_id,
        currency: row.currency,
        expected: row.amount,
        actual: '0',
      });
    }
    await this.comparePending(tx, limit, mismatches);
    for (let after = ''; mismatches.length < limit;) {
      const batch = (
        await tx.execute<{ id: string }>(sql`
          SELECT id FROM ledger_transactions
           WHERE kind = 'settlement_release' AND id > ${after}
           ORDER BY id LIMIT ${releasesPerBatch}`)
      ).rows.map((row) => row.id);
      if (batch.length === 0) break;
      after = batch[batch.length - 1]!;
      const expected = await this.releasedSums(tx, batch);
      const actual = await this.postingSums(tx, batch);
      for (const id of batch) {
        const want = expected.get(id) ?? new Map<string, number>();
        const got = actual.get(id) ?? new Map<string, number>();
        for (const key of new Set([...want.keys(), ...got.keys()])) {
          const [accountKind, , currency] = key.split('/');
          if ((want.get(key) ?? 0) === (got.get(key) ?? 0)) continue;
          mismatches.push({
            check: 'settlement_release',
            id,
            currency: currency ?? '',
            account: `settlement_release/${accountKind}`,
            expected: String(want.get(key) ?? 0),
            actual: String(got.get(key) ?? 0),
          });
        }
      }
    }
    return mismatches.slice(0, limit);
  }

  /**
   * Each merchant's pending balance per currency against its unreleased rows: money credited to pending and not yet
   * released (or refunded from it) is exactly what the rows still hold, so the release job will move all of it and
   * nothing more. Balances are the accounts' kept ones (the verifier proves them equal to their postings).
   */
  private async comparePending(tx: Tx, limit: number, mismatches: LedgerMismatch[]): Promise<void> {
    const rows = await tx.execute<{ merchant_id: string; currency: string; pending: string; held: string }>(sql`
      SELECT coalesce(a.merchant_id, r.merchant_id) AS merchant_id, coalesce(a.currency, r.currency) AS currency,
             (-coalesce(a.balance, 0))::text AS pending, coalesce(r.held, 0)::text AS held
        FROM (SELECT merchant_id, currency, sum(balance) AS balance FROM ledger_accounts
               WHERE kind = 'merchant_pending' GROUP BY merchant_id, currency) a
        FULL JOIN (SELECT merchant_id, currency, sum(amount) AS held FROM pending_settlements
                    WHERE released_at IS NULL GROUP BY merchant_id, currency) r
          ON r.merchant_id = a.merchant_id AND r.currency = a.currency
       WHERE -coalesce(a.balance, 0) <> coalesce(r.held, 0)
       ORDER BY 1, 2 LIMIT ${limit}`);
    for (const row of rows.rows) {
      mismatches.push({
        check: 'settlement_release',
        id: row.merchant_id,
        currency: row.currency,
        account: 'merchant_pending',
        expected: row.held,
        actual: row.pending,
      });
    }
  }

  /** The postings each transaction should have: D merchant_pending, C merchant_available, the rows' sums. */
  private async releasedSums(tx: Tx, transactionIds: readonly string[]): Promise<Map<string, Map<string, number>>> {
    const rows = await tx.execute<ReleasedRow>(sql`
      SELECT release_transaction_id AS transaction_id, merchant_id, currency, sum(amount)::text AS released
        FROM pending_settlements
       WHERE release_transaction_id = ANY(${sql.param([...transactionIds])}::text[])
       GROUP BY release_transaction_id, merchant_id, currency`);
    const sums = new Map<string, Map<string, number>>();
    for (const row of rows.rows) {
      const releasedMinor = amountFromSql(row.released);
      if (releasedMinor === 0) continue;
      let owned = sums.get(row.transaction_id);
      if (!owned) sums.set(row.transaction_id, (owned = new Map<string, number>()));
      owned.set(`merchant_pending/${row.merchant_id}/${row.currency}`, releasedMinor);
      owned.set(`merchant_available/${row.merchant_id}/${row.currency}`, -releasedMinor);
    }
    return sums;
  }

  /** Each transaction's postings summed per account kind, merchant and currency (`kind/merchant/currency`). */
  private async postingSums(tx: Tx, transactionIds: readonly string[]): Promise<Map<string, Map<string, number>>> {
    const rows = await tx.execute<PostingRow>(sql`
      SELECT p.transaction_id, a.kind AS account_kind, a.merchant_id, p.currency, sum(p.amount)::text AS amount
        FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
       WHERE p.transaction_id = ANY(${sql.param([...transactionIds])}::text[])
       GROUP BY p.transaction_id, a.kind, a.merchant_id, p.currency`);
    const sums = new Map<string, Map<string, number>>();
    for (const row of rows.rows) {
      const amount = amountFromSql(row.amount);
      if (amount === 0) continue;
      let owned = sums.get(row.transaction_id);
      if (!owned) sums.set(row.transaction_id, (owned = new Map<string, number>()));
      const key = `${row.account_kind}/${row.merchant_id ?? '-'}/${row.currency}`;
      owned.set(key, (owned.get(key) ?? 0) + amount);
    }
    return sums;
  }
}
