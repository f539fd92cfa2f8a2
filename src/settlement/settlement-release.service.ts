import { Injectable, Logger } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { amountFromSql } from '../common/money/money';
import { Database } from '../database/database';
import { LedgerService } from '../ledger/ledger.service';
import { postingsForSettlementRelease } from '../ledger/settlement-postings';
import { type DuePending, releaseGroups } from './settlement-release';
import { settlementLimits } from './settlement.limits';

interface DueRow extends Record<string, unknown> {
  payment_id: string;
  merchant_id: string;
  currency: string;
  amount: string;
}

/**
 * Moves pending money whose settlement delay has passed to available (API.md "Settlement and payouts"): per batch,
 * one statement locks the due rows, one settlement_release ledger transaction per merchant and currency moves their
 * sum, and the rows are marked released with it, all in one transaction. Exactly once: rows are locked FOR UPDATE
 * SKIP LOCKED and only unreleased ones are read, so two runs at once (two workers, the job and the operator's
 * trigger) take disjoint rows, and a run after a release finds them released. The ledger invalidates the merchants'
 * cached balances after the commit.
 */
@Injectable()
export class SettlementReleaseService {
  private readonly logger = new Logger(SettlementReleaseService.name);

  constructor(
    private readonly database: Database,
    private readonly ledger: LedgerService,
  ) {}

  /** Releases everything due now; answers how many payments' pending amounts it released. */
  async releaseDue(): Promise<number> {
    let released = 0;
    for (;;) {
      const batch = await this.releaseBatch();
      released += batch.released;
      if (batch.locked < settlementLimits.releaseRowsPerBatch) break;
    }
    if (released > 0) this.logger.log({ released }, 'pending settlements released');
    return released;
  }

  private releaseBatch(): Promise<{ locked: number; released: number }> {
    return this.database.transaction(async (tx) => {
      const due = (
        await tx.execute<DueRow>(sql`
          SELECT payment_id, merchant_id, currency, amount::text AS amount FROM pending_settlements
           WHERE released_at IS NULL AND due_at <= now()
           ORDER BY due_at
           LIMIT ${settlementLimits.releaseRowsPerBatch}
             FOR UPDATE SKIP LOCKED`)
      ).rows;
      if (due.length === 0) return { locked: 0, released: 0 };
      const { groups, empty } = releaseGroups(
        due.map((row): DuePending => ({
          paymentId: row.payment_id,
          merchantId: row.merchant_id,
          currency: row.currency,
          amountMinor: amountFromSql(row.amount),
        })),
      );
      const transactionIds = await this.ledger.recordMany(
        tx,
        groups.map((group) => ({
          kind: 'settlement_release' as const,
          merchantId: group.merchantId,
          paymentId: null,
          postings: postingsForSettlementRelease(group),
        })),
      );
      const paymentIds = [...groups.flatMap((group) => group.paymentIds), ...empty];
      const releaseIds = [
        ...groups.flatMap((group, index) => group.paymentIds.map(() => transactionIds[index]!)),
        ...empty.map(() => null),
      ];
      await tx.execute(sql`
        UPDATE pending_settlements
           SET released_at = now(), release_transaction_id = released.transaction_id
          FROM unnest(${sql.param(paymentIds)}::text[], ${sql.param(releaseIds)}::text[])
               AS released(payment_id, transaction_id)
         WHERE pending_settlements.payment_id = released.payment_id`);
      return { locked: due.length, released: paymentIds.length - empty.length };
    });
  }
}
