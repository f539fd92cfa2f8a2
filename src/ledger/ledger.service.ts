import { Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { newId } from '../common/ids';
import { amountToSql } from '../common/money/money';
import type { Tx } from '../database/database';
import { ledgerPostings, ledgerTransactions } from '../database/schema';
import { type AccountRef, assertBalanced, isMerchantAccountKind, type Posting } from './ledger-transaction';

export type LedgerTransactionKind = 'payment_capture' | 'authorization_hold' | 'authorization_release' | 'refund';

export interface LedgerEntry {
  kind: LedgerTransactionKind;
  merchantId: string;
  paymentId: string;
  refundId?: string;
  postings: Posting[];
}

function accountKey(account: AccountRef): string {
  return `${account.kind}:${account.merchantId ?? '-'}:${account.currency}`;
}

/** Records balanced ledger transactions; the only writer of ledger tables. */
@Injectable()
export class LedgerService {
  // Account ids never change once created, so they are safe to remember for the life of the process.
  private readonly accountIds = new Map<string, string>();

  /** Appends one balanced transaction in `tx` and keeps merchant account balances equal to their postings. */
  async record(tx: Tx, entry: LedgerEntry): Promise<string> {
    assertBalanced(entry.postings);
    const transactionId = newId('ltx');
    await tx.insert(ledgerTransactions).values({
      id: transactionId,
      kind: entry.kind,
      merchantId: entry.merchantId,
      paymentId: entry.paymentId,
      refundId: entry.refundId ?? null,
    });
    const rows = [];
    for (const posting of entry.postings) {
      const accountId = await this.accountId(tx, posting.account);
      rows.push({
        id: newId('lp'),
        transactionId,
        accountId,
        merchantId: posting.account.merchantId,
        amount: BigInt(posting.amountMinor),
        currency: posting.account.currency,
      });
    }
    await tx.insert(ledgerPostings).values(rows);
    // Only merchant accounts keep a running balance: system accounts are touched by every payment, and a
    // running total there would serialize all payments on one row. Their balance is the sum of postings.
    for (const row of rows) {
      const posting = entry.postings[rows.indexOf(row)]!;
      if (!isMerchantAccountKind(posting.account.kind)) continue;
      await tx.execute(
        sql`UPDATE ledger_accounts SET balance = balance + ${amountToSql(posting.amountMinor)}::bigint WHERE id = ${row.accountId}`,
      );
    }
    return transactionId;
  }

  private async accountId(tx: Tx, account: AccountRef): Promise<string> {
    const key = accountKey(account);
    const known = this.accountIds.get(key);
    if (known) return known;
    await tx.execute(sql`
      INSERT INTO ledger_accounts (id, kind, merchant_id, currency)
      VALUES (${newId('acct')}, ${account.kind}, ${account.merchantId}, ${account.currency})
      ON CONFLICT ON CONSTRAINT ledger_accounts_identity DO NOTHING`);
    const found = await tx.execute<{ id: string }>(sql`
      SELECT id FROM ledger_accounts
      WHERE kind = ${account.kind} AND merchant_id IS NOT DISTINCT FROM ${account.merchantId} AND currency = ${account.currency}`);
    const id = found.rows[0]?.id;
    if (!id) throw new Error(`ledger account ${key} could not be created`);
    this.accountIds.set(key, id);
    return id;
  }
}
