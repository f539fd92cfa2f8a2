import { Injectable, type OnModuleInit } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { amountFromSql } from '../common/money/money';
import type { Tx } from '../database/database';
import { DISPUTE_TRANSACTION_KINDS } from '../ledger/ledger-transaction';
import { postingDifferences, type PostingSums, sumPostings } from '../ledger/summed-postings';
import { LedgerChecks } from '../verification/ledger-checks.service';
import { expectedDisputeMoves } from './dispute-money';
import type { DisputeStatus } from './dispute-status';

// Disputes read per batch (keyset over their ids) in the verifier's snapshot: memory stays bounded.
const disputesPerBatch = 500;

interface DisputeMoneyRow extends Record<string, unknown> {
  id: string;
  merchant_id: string;
  currency: string;
  amount: string;
  fee: string;
  status: DisputeStatus;
}

/** A mismatch as LedgerCheck reports it (the verifier's LedgerMismatch). */
interface Mismatch {
  check: 'dispute_postings';
  id: string;
  currency: string;
  account: string;
  expected: string;
  actual: string;
}

/**
 * The verifier's proof of disputes: each dispute's stored money (amount, fee, status) rebuilt into the ledger moves it
 * implies (dispute-money.ts, with the ledger's own builders) and compared, per transaction kind and account kind, with
 * the postings of the dispute's transactions (dispute_opened, dispute_won, dispute_lost). The network's fee on the
 * dispute (network_fee) is the network's price, not the dispute's money: reconciliation compares it with the network.
 */
@Injectable()
export class DisputeLedgerCheck implements OnModuleInit {
  constructor(private readonly checks: LedgerChecks) {}

  onModuleInit(): void {
    this.checks.register({ name: 'dispute_postings', run: (tx, limit) => this.run(tx, limit) });
  }

  async run(tx: Tx, limit: number): Promise<Mismatch[]> {
    const mismatches: Mismatch[] = [];
    let after = '';
    while (mismatches.length < limit) {
      const batch = (
        await tx.execute<DisputeMoneyRow>(sql`
          SELECT id, merchant_id, currency, amount::text, fee::text, status FROM disputes
           WHERE id > ${after} ORDER BY id LIMIT ${disputesPerBatch}`)
      ).rows;
      if (batch.length === 0) break;
      after = batch[batch.length - 1]!.id;
      const recorded = await this.recordedSums(
        tx,
        batch.map((row) => row.id),
      );
      for (const row of batch) {
        const expected = sumPostings(
          expectedDisputeMoves({
            merchantId: row.merchant_id,
            currency: row.currency,
            amountMinor: amountFromSql(row.amount),
            feeMinor: amountFromSql(row.fee),
            status: row.status,
          }),
        );
        for (const difference of postingDifferences(expected, recorded.get(row.id) ?? new Map<string, number>())) {
          mismatches.push({
            check: 'dispute_postings',
            id: row.id,
            currency: row.currency,
            account: difference.key,
            expected: String(difference.expected),
            actual: String(difference.actual),
          });
        }
      }
    }
    return mismatches.slice(0, limit);
  }

  /** The postings of the disputes' own transactions, per dispute, summed by transaction kind and account kind. */
  private async recordedSums(tx: Tx, disputeIds: readonly string[]): Promise<Map<string, PostingSums>> {
    const rows = await tx.execute<{ dispute_id: string; key: string; amount: string }>(sql`
      SELECT t.dispute_id, t.kind || '/' || a.kind AS key, sum(p.amount)::text AS amount
        FROM ledger_transactions t
        JOIN ledger_postings p ON p.transaction_id = t.id
        JOIN ledger_accounts a ON a.id = p.account_id
       WHERE t.dispute_id = ANY(${sql.param([...disputeIds])}::text[])
         AND t.kind = ANY(${sql.param([...DISPUTE_TRANSACTION_KINDS])}::text[])
       GROUP BY t.dispute_id, t.kind, a.kind`);
    const sums = new Map<string, PostingSums>();
    for (const row of rows.rows) {
      const amount = amountFromSql(row.amount);
      if (amount === 0) continue;
      let owned = sums.get(row.dispute_id);
      if (!owned) sums.set(row.dispute_id, (owned = new Map<string, number>()));
      owned.set(row.key, amount);
    }
    return sums;
  }
}
