import { sql, type SQL } from 'drizzle-orm';
import { amountFromSql } from '../common/money/money';
import type { CombinedWrite } from '../database/combined-write';
import type { Tx } from '../database/database';
import type { Posting, SettlementAccountKind } from '../ledger/ledger-transaction';

/**
 * Where captured money goes: merchant_pending while a settlement delay is configured, merchant_available (as before
 * the delay existed, and with no pending bookkeeping at all) when it is 0.
 */
export function settlementTarget(delayMs: number): SettlementAccountKind {
  return delayMs > 0 ? 'merchant_pending' : 'merchant_available';
}

/** What a capture's postings credit to merchant_pending (positive minor units; 0 when it credits available). */
export function pendingCreditMinor(postings: readonly Posting[]): number {
  return postings
    .filter((posting) => posting.account.kind === 'merchant_pending')
    .reduce((sum, posting) => sum - posting.amountMinor, 0);
}

function intervalOfMs(ms: number): SQL {
  return sql`(${ms}::double precision * interval '1 millisecond')`;
}

/** A capture's pending amount: its payment, owner, currency and what it credited to merchant_pending. */
export interface PendingCredit {
  paymentId: string;
  merchantId: string;
  currency: string;
  amountMinor: number;
}

/**
 * The pending rows of captures that credited merchant_pending, due `delayMs` after now by the database clock: one
 * INSERT for all of them, for the capture's transaction (never written without a delay).
 */
export function insertPendingStatement(credits: readonly PendingCredit[], delayMs: number): SQL {
  const column = <T>(value: (credit: PendingCredit) => T) => sql.param(credits.map(value));
  return sql`
    INSERT INTO pending_settlements (payment_id, merchant_id, currency, amount, due_at)
    SELECT id, merchant_id, currency, amount, now() + ${intervalOfMs(delayMs)}
      FROM unnest(
        ${column((credit) => credit.paymentId)}::text[],
        ${column((credit) => credit.merchantId)}::text[],
        ${column((credit) => credit.currency)}::text[],
        ${column((credit) => String(credit.amountMinor))}::bigint[]
      ) AS credit(id, merchant_id, currency, amount)`;
}

/** insertPendingStatement as a part of the settlement batch's combined write (no round trip of its own). */
export function addPendingTo(writes: CombinedWrite, credits: readonly PendingCredit[], delayMs: number): void {
  if (credits.length > 0) writes.add(insertPendingStatement(credits, delayMs));
}

/**
 * What is still pending of a payment, its row locked until `tx` ends (0 when none is, or once released): a refund
 * takes from it first. A release that holds the row makes this wait, then read it released (0): the money is in
 * available by then, and the refund takes it from there.
 */
export async function lockPendingMinor(tx: Tx, paymentId: string): Promise<number> {
  const rows = await tx.execute<{ amount: string }>(sql`
    SELECT amount::text AS amount FROM pending_settlements
     WHERE payment_id = ${paymentId} AND released_at IS NULL
       FOR UPDATE`);
  const [row] = rows.rows;
  return row ? amountFromSql(row.amount) : 0;
}

/** Lowers a locked pending row by what a refund took from it; a row refunded down to 0 is closed (nothing to release). */
export async function takeFromPending(tx: Tx, paymentId: string, amountMinor: number): Promise<void> {
  if (amountMinor <= 0) return;
  await tx.execute(sql`
    UPDATE pending_settlements
       SET amount = amount - ${String(amountMinor)}::bigint,
           released_at = CASE WHEN amount - ${String(amountMinor)}::bigint = 0 THEN now() END
     WHERE payment_id = ${paymentId} AND released_at IS NULL`);
}
