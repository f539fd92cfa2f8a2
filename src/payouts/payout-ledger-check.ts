import { Injectable, type OnModuleInit } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { amountFromSql } from '../common/money/money';
import type { Tx } from '../database/database';
import { LedgerChecks } from '../verification/ledger-checks.service';
import { postingDifferences, type PostingSums, sumPostings } from '../ledger/summed-postings';
import { expectedPayoutLedger } from './payout-ledger';
import type { PayoutStatus } from './payout-status';

// Payouts read per batch (keyset over their ids) in the verification's snapshot: memory stays bounded.
const payoutsPerBatch = 500;

interface PayoutStateRow extends Record<string, unknown> {
  id: string;
  merchant_id: string;
  currency: string;
  status: PayoutStatus;
  amount: string;
}

interface PayoutPostingRow extends Record<string, unknown> {
  payout_id: string;
  transaction_kind: string;
  account_kind: string;
  currency: string;
  amount: string;
}

/** The verifier's mismatch, as LedgerChecks takes it. */
type PayoutMismatch = Awaited<ReturnType<Parameters<LedgerChecks['register']>[0]['run']>>[number];

/**
 * The verifier's proof of payouts (check `payout_postings`): every payout's postings, summed per transaction kind and
 * account kind, against the ones its status implies (payout-ledger.ts), so a payout paid without moving its money, a
 * failure that returned nothing, or a step recorded twice is found. Postings in another currency than the payout's
 * are keyed with that currency, so they differ too.
 */
@Injectable()
export class PayoutLedgerCheck implements OnModuleInit {
  constructor(private readonly checks: LedgerChecks) {}

  onModuleInit(): void {
    this.checks.register({ name: 'payouts', run: (tx, limit) => this.run(tx, limit) });
  }

  async run(tx: Tx, limit: number): Promise<PayoutMismatch[]> {
    const mismatches: PayoutMismatch[] = [];
    for (let after = ''; mismatches.length < limit;) {
      const batch = (
        await tx.execute<PayoutStateRow>(sql`
          SELECT id, merchant_id, currency, status, amount::text AS amount
            FROM payouts WHERE id > ${after} ORDER BY id LIMIT ${payoutsPerBatch}`)
      ).rows;
      if (batch.length === 0) break;
      after = batch[batch.length - 1]!.id;
      const recorded = await this.recordedSums(
        tx,
        batch.map((row) => row.id),
        new Map(batch.map((row) => [row.id, row.currency])),
      );
      for (const row of batch) {
        const expected = sumPostings(
          expectedPayoutLedger({
            merchantId: row.merchant_id,
            currency: row.currency,
            amountMinor: amountFromSql(row.amount),
            status: row.status,
          }),
        );
        for (const difference of postingDifferences(expected, recorded.get(row.id) ?? new Map<string, number>())) {
          mismatches.push({
            check: 'payout_postings',
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

  /** The postings of every ledger transaction that names one of `payoutIds`, whatever its kind, summed per payout. */
  private async recordedSums(
    tx: Tx,
    payoutIds: readonly string[],
    currencyOf: ReadonlyMap<string, string>,
  ): Promise<Map<string, PostingSums>> {
    const rows = await tx.execute<PayoutPostingRow>(sql`
      SELECT t.payout_id, t.kind AS transaction_kind, a.kind AS account_kind, p.currency, sum(p.amount)::text AS amount
        FROM ledger_transactions t
        JOIN ledger_postings p ON p.transaction_id = t.id
        JOIN ledger_accounts a ON a.id = p.account_id
       WHERE t.payout_id = ANY(${sql.param([...payoutIds])}::text[])
       GROUP BY t.payout_id, t.kind, a.kind, p.currency`);
    const sums = new Map<string, PostingSums>();
    for (const row of rows.rows) {
      const amount = amountFromSql(row.amount);
      if (amount === 0) continue;
      const sameCurrency = currencyOf.get(row.payout_id) === row.currency;
      const key = `${row.transaction_kind}/${row.account_kind}${sameCurrency ? '' : `/${row.currency}`}`;
      let owned = sums.get(row.payout_id);
      if (!owned) sums.set(row.payout_id, (owned = new Map<string, number>()));
      owned.set(key, (owned.get(key) ?? 0) + amount);
    }
    return sums;
  }
}
