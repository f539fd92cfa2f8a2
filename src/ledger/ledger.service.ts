import { Injectable } from '@nestjs/common';
import { and, eq, sql } from 'drizzle-orm';
import { amountFromSql } from '../common/money/money';
import { type ListObject, pageOf } from '../common/pagination';
import { Database } from '../database/database';
import { type Keyset, newestFirst, rowsAfter } from '../database/keyset';
import { HotCache } from '../caching/hot-cache.service';
import { balanceCache, currentBalanceId } from './balance-cache';
import { newId } from '../common/ids';
import { amountToSql } from '../common/money/money';
import type { Tx } from '../database/database';
import { ledgerAccounts, ledgerPostings, ledgerTransactions } from '../database/schema';
import {
  type AccountRef,
  assertBalanced,
  isMerchantAccountKind,
  type LedgerTransactionKind,
  merchantBalanceShown,
  type Posting,
} from './ledger-transaction';

/** A merchant's ledger entries (postings), newest first (ledger_postings_merchant_sequence_idx). */
const ledgerEntriesKeyset: Keyset = { id: ledgerPostings.id, order: [ledgerPostings.sequence], what: 'ledger entry' };

export interface LedgerEntry {
  kind: LedgerTransactionKind;
  merchantId: string;
  paymentId: string;
  refundId?: string;
  postings: Posting[];
}

export interface BalanceObject {
  object: 'balance';
  available: { currency: string; amount: number }[];
  pending: { currency: string; amount: number }[];
}

export interface LedgerEntryObject {
  id: string;
  object: 'ledger_entry';
  transaction_id: string;
  transaction_type: string;
  /** The merchant account the line is on: merchant_available, merchant_pending or merchant_authorized. */
  account: string;
  direction: 'debit' | 'credit';
  /** Signed minor units: positive is a debit, negative a credit; each transaction's lines sum to zero. */
  amount: number;
  currency: string;
  payment_id: string | null;
  refund_id: string | null;
  created_at: string;
}

function accountKey(account: AccountRef): string {
  return `${account.kind}:${account.merchantId ?? '-'}:${account.currency}`;
}

/** Records balanced ledger transactions; the only writer of ledger tables. */
@Injectable()
export class LedgerService {
  // Account ids never change once committed, so they are safe to remember for the life of the process; an id is
  // added only after the transaction that learned it commits (see accountId).
  private readonly committedAccountIds = new Map<string, string>();

  constructor(
    private readonly database: Database,
    private readonly cache: HotCache,
  ) {}

  /**
   * The merchant's balance per currency, from the balances kept with the postings (the verifier proves they
   * equal the postings), shown as the merchant sees them (merchantBalanceShown).
   */
  async balance(merchantId: string): Promise<BalanceObject> {
    const rows = await this.database.db
      .select({ kind: ledgerAccounts.kind, currency: ledgerAccounts.currency, balance: ledgerAccounts.balance })
      .from(ledgerAccounts)
      .where(eq(ledgerAccounts.merchantId, merchantId))
      .orderBy(ledgerAccounts.currency);
    const amounts = (kind: string) =>
      rows
        .filter((row) => row.kind === kind)
        .map((row) => ({ currency: row.currency, amount: merchantBalanceShown(amountFromSql(row.balance)) }));
    return { object: 'balance', available: amounts('merchant_available'), pending: amounts('merchant_pending') };
  }

  /** The merchant's postings, newest first. */
  async entries(
    merchantId: string,
    query: { limit: number; starting_after?: string },
  ): Promise<ListObject<LedgerEntryObject>> {
    const own = eq(ledgerPostings.merchantId, merchantId);
    const after = await rowsAfter(this.database, ledgerEntriesKeyset, own, query.starting_after);
    const rows = await this.database.db
      .select({
        id: ledgerPostings.id,
        transactionId: ledgerPostings.transactionId,
        account: ledgerAccounts.kind,
        amount: ledgerPostings.amount,
        currency: ledgerPostings.currency,
        kind: ledgerTransactions.kind,
        paymentId: ledgerTransactions.paymentId,
        refundId: ledgerTransactions.refundId,
        createdAt: ledgerPostings.createdAt,
      })
      .from(ledgerPostings)
      .innerJoin(ledgerAccounts, eq(ledgerAccounts.id, ledgerPostings.accountId))
      .innerJoin(ledgerTransactions, eq(ledgerTransactions.id, ledgerPostings.transactionId))
      .where(and(own, after))
      .orderBy(...newestFirst(ledgerEntriesKeyset))
      .limit(query.limit + 1);
    return pageOf(rows, query.limit, (row) => {
      const amount = amountFromSql(row.amount);
      return {
        id: row.id,
        object: 'ledger_entry',
        transaction_id: row.transactionId,
        transaction_type: row.kind,
        account: row.account,
        direction: amount > 0 ? 'debit' : 'credit',
        amount,
        currency: row.currency,
        payment_id: row.paymentId,
        refund_id: row.refundId,
        created_at: row.createdAt.toISOString(),
      };
    });
  }

  /** Appends one balanced transaction in `tx` and keeps merchant account balances equal to their postings. */
  async record(tx: Tx, entry: LedgerEntry): Promise<string> {
    assertBalanced(entry.postings);
    // Every money movement of the merchant is recorded here, so the balance is invalidated here: no caller has to.
    this.cache.invalidateAfterCommit(tx, balanceCache, entry.merchantId, currentBalanceId);
    const transactionId = newId('ltx');
    await tx.insert(ledgerTransactions).values({
      id: transactionId,
      kind: entry.kind,
      merchantId: entry.merchantId,
      paymentId: entry.paymentId,
      refundId: entry.refundId ?? null,
    });
    // Accounts are resolved in one order for every transaction, so two transactions creating the same new
    // accounts wait on each other's rows in the same order and never deadlock.
    const accounts = new Map(entry.postings.map((posting) => [accountKey(posting.account), posting.account]));
    const accountIds = new Map<string, string>();
    for (const key of [...accounts.keys()].sort()) {
      accountIds.set(key, await this.accountId(tx, accounts.get(key)!));
    }
    const rows = entry.postings.map((posting) => ({
      id: newId('lp'),
      transactionId,
      accountId: accountIds.get(accountKey(posting.account))!,
      merchantId: posting.account.merchantId,
      amount: BigInt(posting.amountMinor),
      currency: posting.account.currency,
    }));
    await tx.insert(ledgerPostings).values(rows);
    // Only merchant accounts keep a running balance: system accounts are touched by every payment, and a
    // running total there would serialize all payments on one row. Their balance is the sum of postings.
    for (const [index, row] of rows.entries()) {
      const posting = entry.postings[index]!;
      if (!isMerchantAccountKind(posting.account.kind)) continue;
      await tx.execute(
        sql`UPDATE ledger_accounts SET balance = balance + ${amountToSql(posting.amountMinor)}::bigint WHERE id = ${row.accountId}`,
      );
    }
    return transactionId;
  }

  /**
   * The id of `account`, created in `tx` when it does not exist yet. Ids are cached only once `tx` commits: an id
   * created by a transaction still open names a row no other transaction can see (their postings to it would be
   * refused by the currency trigger and the foreign key), and no row at all if that transaction rolls back.
   */
  private async accountId(tx: Tx, account: AccountRef): Promise<string> {
    const key = accountKey(account);
    const known = this.committedAccountIds.get(key);
    if (known) return known;
    // A row another transaction inserted but has not committed makes this INSERT wait for that transaction, so
    // concurrent creators converge on one row, which the SELECT (a new snapshot) then sees.
    await tx.execute(sql`
      INSERT INTO ledger_accounts (id, kind, merchant_id, currency)
      VALUES (${newId('acct')}, ${account.kind}, ${account.merchantId}, ${account.currency})
      ON CONFLICT ON CONSTRAINT ledger_accounts_identity DO NOTHING`);
    const found = await tx.execute<{ id: string }>(sql`
      SELECT id FROM ledger_accounts
      WHERE kind = ${account.kind} AND merchant_id IS NOT DISTINCT FROM ${account.merchantId} AND currency = ${account.currency}`);
    const id = found.rows[0]?.id;
    if (!id) throw new Error(`ledger account ${key} could not be created`);
    this.database.afterCommit(tx, () => this.committedAccountIds.set(key, id));
    return id;
  }
}
