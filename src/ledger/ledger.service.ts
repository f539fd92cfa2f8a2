import { Injectable } from '@nestjs/common';
import { and, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import type { CombinedWrite } from '../database/combined-write';
import { runStatement, type Statement, statement } from '../database/statement';
import { amountFromSql } from '../common/money/money';
import { type ListObject, pageOf } from '../common/pagination';
import { Database } from '../database/database';
import { type Keyset, newestFirst, rowsAfter } from '../database/keyset';
import { HotCache } from '../caching/hot-cache.service';
import { balanceCache, currentBalanceId } from './balance-cache';
import type { BalanceObject, LedgerEntryObject } from './ledger.presenter';
import { type BalanceDelta, balanceDeltas } from './balance-deltas';
import { newId } from '../common/ids';
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
import { ledgerLimits } from './ledger.limits';

/** A merchant's ledger entries (postings), newest first (ledger_postings_merchant_sequence_idx). */
const ledgerEntriesKeyset: Keyset = { id: ledgerPostings.id, order: [ledgerPostings.sequence], what: 'ledger entry' };

/** One ledger transaction to record: its kind, its owner (the merchant) and what it moves the money of. */
export interface LedgerEntry {
  kind: LedgerTransactionKind;
  merchantId: string;
  /** The payment (captures, holds, refunds, a dispute's transactions, a capture's network fee); null for a release. */
  paymentId: string | null;
  refundId?: string;
  payoutId?: string;
  disputeId?: string;
  postings: Posting[];
}

/** A ledger transaction that moves money between us and the card network (it posts to network_clearing). */
export interface NetworkMovement {
  transactionId: string;
  kind: LedgerTransactionKind;
  paymentId: string | null;
  refundId: string | null;
  disputeId: string | null;
  /** What it moved to or from network_clearing, in this currency: positive minor units (the kind says which way). */
  amountMinor: number;
  currency: string;
  recordedAt: Date;
}

function accountKey(account: AccountRef): string {
  return `${account.kind}:${account.merchantId ?? '-'}:${account.currency}`;
}

/** Records balanced ledger transactions; the only writer of ledger tables. */
@Injectable()
export class LedgerService {
  // Account ids never change once committed, so they are safe to remember in each process, without invalidation;
  // an id is added only after the transaction that learned it commits (see accountId). Bounded for memory only.
  private readonly committedAccountIds = new LRUCache<string, string>({ max: ledgerLimits.accountIdsRememberedMax });

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

  /**
   * Locks the merchant's available balance in `currency` for the rest of `tx` and answers it as the merchant sees it
   * (0 when there is no such account yet). A debit that must not take available below zero (a payout) checks the
   * answer and records its transaction in the same `tx`: every writer of the balance waits for this lock (the running
   * balance update takes the same NO KEY UPDATE lock), so the check and the debit see the same balance. A transaction
   * that locks it does so before it records anything, so that it holds this row before any other merchant account.
   */
  async lockAvailableBalance(tx: Tx, merchantId: string, currency: string): Promise<number> {
    const locked = await tx.execute<{ balance: string }>(sql`
      SELECT balance::text AS balance FROM ledger_accounts
       WHERE kind = 'merchant_available' AND merchant_id = ${merchantId} AND currency = ${currency}
         FOR NO KEY UPDATE`);
    const row = locked.rows[0];
    return row ? merchantBalanceShown(amountFromSql(row.balance)) : 0;
  }

  /** The merchant's postings, newest first. */
  async entries(
    merchantId: string,
    query: { limit: number; starting_after?: string },
  ): Promise<ListObject<LedgerEntryObject>> {
    // A list may lag behind the merchant's last writes (a replica's); the balance above reads the primary.
    const reads = this.database.forListReads();
    const own = eq(ledgerPostings.merchantId, merchantId);
    const after = await rowsAfter(reads, ledgerEntriesKeyset, own, query.starting_after);
    const rows = await reads.db
      .select({
        id: ledgerPostings.id,
        transactionId: ledgerPostings.transactionId,
        account: ledgerAccounts.kind,
        amount: ledgerPostings.amount,
        currency: ledgerPostings.currency,
        kind: ledgerTransactions.kind,
        paymentId: ledgerTransactions.paymentId,
        refundId: ledgerTransactions.refundId,
        payoutId: ledgerTransactions.payoutId,
        disputeId: ledgerTransactions.disputeId,
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
        payout_id: row.payoutId,
        dispute_id: row.disputeId,
        created_at: row.createdAt.toISOString(),
      };
    });
  }

  /**
   * The transactions of `kinds` recorded in [from, to) that move money to or from the card network, with what each
   * moved on network_clearing per currency: what the network's own books should show (reconciliation). At most
   * `limit`; more is an error, not a truncated answer, since a reader compares the whole period.
   */
  async networkMovements(
    kinds: readonly LedgerTransactionKind[],
    period: { from: Date; to: Date },
    limit: number,
  ): Promise<NetworkMovement[]> {
    if (kinds.length === 0) return [];
    const rows = await this.database.db
      .select({
        transactionId: ledgerTransactions.id,
        kind: ledgerTransactions.kind,
        paymentId: ledgerTransactions.paymentId,
        refundId: ledgerTransactions.refundId,
        disputeId: ledgerTransactions.disputeId,
        recordedAt: ledgerTransactions.createdAt,
        currency: ledgerPostings.currency,
        amount: sql<string>`abs(sum(${ledgerPostings.amount}))::text`,
      })
      .from(ledgerTransactions)
      .innerJoin(ledgerPostings, eq(ledgerPostings.transactionId, ledgerTransactions.id))
      .innerJoin(
        ledgerAccounts,
        and(eq(ledgerAccounts.id, ledgerPostings.accountId), eq(ledgerAccounts.kind, 'network_clearing')),
      )
      .where(
        and(
          gte(ledgerTransactions.createdAt, period.from),
          lt(ledgerTransactions.createdAt, period.to),
          inArray(ledgerTransactions.kind, [...kinds]),
        ),
      )
      .groupBy(ledgerTransactions.id, ledgerPostings.currency)
      .having(sql`sum(${ledgerPostings.amount}) <> 0`)
      .limit(limit + 1);
    if (rows.length > limit) {
      throw new RangeError(
        `more than ${limit} network movements between ${period.from.toISOString()} and ${period.to.toISOString()}`,
      );
    }
    return rows.map(({ amount, kind, ...row }) => ({
      ...row,
      kind: kind as LedgerTransactionKind,
      amountMinor: amountFromSql(amount),
    }));
  }

  /** Appends one balanced transaction in `tx` and keeps merchant account balances equal to their postings. */
  async record(tx: Tx, entry: LedgerEntry): Promise<string> {
    const [transactionId] = await this.recordMany(tx, [entry]);
    return transactionId!;
  }

  /**
   * `record` for many transactions at once (the settlement of a batch of payments), their ids in their order: one
   * statement for the transactions, one for their postings, the accounts resolved once, and each merchant account's
   * running balance updated once with the sum of its postings (a merchant's balance row is written by every payment
   * of the merchant: once per batch instead of once per posting). Every entry balances on its own.
   */
  async recordMany(tx: Tx, entries: readonly LedgerEntry[]): Promise<string[]> {
    if (entries.length === 0) return [];
    const { transactionIds, statements } = await this.ledgerStatements(tx, entries);
    for (const write of statements) await runStatement(tx, write);
    return transactionIds;
  }

  /**
   * `recordMany` as parts of a combined write: the transactions, their postings and the balances sent with the
   * transaction's other writes in one statement (only accounts not known yet are created before, in `writes.tx`).
   */
  async recordManyTo(writes: CombinedWrite, entries: readonly LedgerEntry[]): Promise<string[]> {
    if (entries.length === 0) return [];
    const { transactionIds, statements } = await this.ledgerStatements(writes.tx, entries);
    for (const statement of statements) writes.add(statement);
    return transactionIds;
  }

  /**
   * The statements that record `entries`: their transactions, their postings (in the entries' order: a merchant's
   * ledger entries are listed by their sequence), and the merchant accounts' running balances. None reads what
   * another writes, so they may run as one statement (the postings' foreign keys are checked at its end).
   */
  private async ledgerStatements(
    tx: Tx,
    entries: readonly LedgerEntry[],
  ): Promise<{ transactionIds: string[]; statements: Statement[] }> {
    for (const entry of entries) assertBalanced(entry.postings);
    // Every money movement of the merchant is recorded here, so the balance is invalidated here: no caller has to.
    for (const merchantId of new Set(entries.map((entry) => entry.merchantId))) {
      this.cache.invalidateAfterCommit(tx, balanceCache, merchantId, currentBalanceId);
    }
    const transactionIds = entries.map(() => newId('ltx'));
    const accountIds = await this.accountIds(
      tx,
      entries.flatMap((entry) => entry.postings.map((posting) => posting.account)),
    );
    const postings = entries.flatMap((entry, index) =>
      entry.postings.map((posting) => ({
        posting,
        transactionId: transactionIds[index]!,
        accountId: accountIds.get(accountKey(posting.account))!,
      })),
    );
    // Inserted from arrays: one fixed statement whatever the batch size, no per-row query building.
    const statements = [
      statement`
      INSERT INTO ledger_transactions (id, kind, merchant_id, payment_id, refund_id, payout_id, dispute_id)
      SELECT id, kind, merchant_id, payment_id, refund_id, payout_id, dispute_id
        FROM unnest(${transactionIds}::text[], ${entries.map((entry) => entry.kind)}::text[],
                    ${entries.map((entry) => entry.merchantId)}::text[],
                    ${entries.map((entry) => entry.paymentId)}::text[],
                    ${entries.map((entry) => entry.refundId ?? null)}::text[],
                    ${entries.map((entry) => entry.payoutId ?? null)}::text[],
                    ${entries.map((entry) => entry.disputeId ?? null)}::text[])
          AS entry(id, kind, merchant_id, payment_id, refund_id, payout_id, dispute_id)`,
      statement`
      INSERT INTO ledger_postings (id, transaction_id, account_id, merchant_id, amount, currency)
      SELECT id, transaction_id, account_id, merchant_id, amount, currency
        FROM unnest(${postings.map(() => newId('lp'))}::text[],
                    ${postings.map(({ transactionId }) => transactionId)}::text[],
                    ${postings.map(({ accountId }) => accountId)}::text[],
                    ${postings.map(({ posting }) => posting.account.merchantId)}::text[],
                    ${postings.map(({ posting }) => String(posting.amountMinor))}::bigint[],
                    ${postings.map(({ posting }) => posting.account.currency)}::text[]) WITH ORDINALITY
          AS posting(id, transaction_id, account_id, merchant_id, amount, currency, position)
       ORDER BY posting.position`,
    ];
    // Only merchant accounts keep a running balance: system accounts are touched by every payment, and a
    // running total there would serialize all payments on one row. Their balance is the sum of postings.
    const deltas = balanceDeltas(
      postings
        .filter(({ posting }) => isMerchantAccountKind(posting.account.kind))
        .map(({ posting, accountId }) => ({ accountId, amountMinor: posting.amountMinor })),
    );
    if (deltas.length > 0) statements.push(balanceUpdate(deltas));
    return { transactionIds, statements };
  }

  /**
   * The ids of `accounts`, created in `tx` when they do not exist yet (one statement for those not known). Ids are
   * cached only once `tx` commits: an id created by a transaction still open names a row no other transaction can
   * see (their postings to it would be refused by the currency trigger and the foreign key), and no row at all if
   * that transaction rolls back.
   */
  private async accountIds(tx: Tx, accounts: readonly AccountRef[]): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    const unknown = new Map<string, AccountRef>();
    for (const account of accounts) {
      const key = accountKey(account);
      const known = this.committedAccountIds.get(key);
      if (known) ids.set(key, known);
      else unknown.set(key, account);
    }
    if (unknown.size === 0) return ids;
    // Inserted in one order (by key) by every transaction, so two transactions creating the same new accounts wait
    // on each other's rows in the same order and never deadlock. A row another transaction inserted but has not
    // committed makes this INSERT wait for that transaction, so concurrent creators converge on one row, which the
    // SELECT (a new snapshot) then sees.
    const missing = [...unknown.keys()].sort().map((key) => unknown.get(key)!);
    const kinds = sql.param(missing.map((account) => account.kind));
    const merchantIds = sql.param(missing.map((account) => account.merchantId));
    const currencies = sql.param(missing.map((account) => account.currency));
    await tx.execute(sql`
      INSERT INTO ledger_accounts (id, kind, merchant_id, currency)
      SELECT * FROM unnest(${sql.param(missing.map(() => newId('acct')))}::text[], ${kinds}::text[], ${merchantIds}::text[], ${currencies}::text[])
      ON CONFLICT ON CONSTRAINT ledger_accounts_identity DO NOTHING`);
    const found = await tx.execute<{
      id: string;
      kind: AccountRef['kind'];
      merchant_id: string | null;
      currency: string;
    }>(sql`
      SELECT account.id, account.kind, account.merchant_id, account.currency
        FROM ledger_accounts AS account
        JOIN unnest(${kinds}::text[], ${merchantIds}::text[], ${currencies}::text[]) AS wanted(kind, merchant_id, currency)
          ON account.kind = wanted.kind AND account.merchant_id IS NOT DISTINCT FROM wanted.merchant_id
         AND account.currency = wanted.currency`);
    for (const row of found.rows) {
      const key = accountKey({ kind: row.kind, merchantId: row.merchant_id, currency: row.currency });
      ids.set(key, row.id);
      this.database.afterCommit(tx, () => this.committedAccountIds.set(key, row.id));
    }
    for (const key of unknown.keys()) {
      if (!ids.has(key)) throw new Error(`ledger account ${key} could not be created`);
    }
    return ids;
  }
}

/**
 * Adds each delta to its account's balance, in one statement without a WITH of its own (so that it can be a part of
 * a combined write). The rows are locked in id order first (a locking subquery is never merged into the update, and
 * its rows are locked in its ORDER BY however the join reads it), and the update only writes rows it returned: every
 * writer of balances goes through here, so two transactions that share accounts wait for one another and never
 * deadlock. NO KEY UPDATE, the lock the UPDATE takes anyway: FOR UPDATE would also wait for the key-share locks that
 * other transactions' postings hold on the account (their foreign key), and two of them would deadlock.
 */
function balanceUpdate(deltas: readonly BalanceDelta[]): Statement {
  const ids = deltas.map((delta) => delta.accountId);
  const amounts = deltas.map((delta) => delta.deltaMinor.toString());
  return statement`
    UPDATE ledger_accounts AS account SET balance = account.balance + delta.amount
      FROM (SELECT id FROM ledger_accounts WHERE id = ANY(${ids}::text[]) ORDER BY id FOR NO KEY UPDATE)
             AS locked
      JOIN unnest(${ids}::text[], ${amounts}::bigint[]) AS delta(id, amount) USING (id)
     WHERE account.id = locked.id`;
}
