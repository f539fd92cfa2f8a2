import { Client } from 'pg';
import { faultAdminToken } from './load-driver';

const finalStatuses = ['succeeded', 'failed', 'canceled', 'requires_capture'];

export interface PaymentAudit {
  paymentsInDatabase: number;
  byStatus: Record<string, number>;
  /** Acknowledged ids with no row, and acknowledged payments still processing. */
  missing: number;
  notFinal: number;
  /** Payments beyond one per acknowledged id: a key that created two payments. */
  createdTwice: number;
  /** (payment, kind) pairs with more than one ledger transaction. */
  ledgerDuplicates: number;
  /** Succeeded payments without exactly one capture transaction, or transactions for payments that did not succeed. */
  ledgerMismatches: number;
  /** Succeeded payments the card network has no approval of (its fix not landed, or the charge unrecorded). */
  networkUnrecorded: number;
  /**
   * Payments with more than one approval at the network, or approved there but ended otherwise here (failed,
   * canceled). One still processing with an approval is not final (counted there), not charged twice.
   */
  networkChargedTwice: number;
  networkTableMissing: boolean;
}

/** A client of the test's database; the caller ends it. */
export async function databaseClient(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

/** Counts of the merchant's acknowledged payments still not final (missing rows count as not final). */
export async function notFinalCount(client: Client, acknowledgedIds: readonly string[]): Promise<number> {
  const { rows } = await client.query<{ final: string }>(
    `SELECT count(*) AS final FROM payments WHERE id = ANY($1) AND status = ANY($2)`,
    [acknowledgedIds, finalStatuses],
  );
  return acknowledgedIds.length - Number(rows[0]!.final);
}

/** Polls until every acknowledged payment is final or the deadline passes; resolves with the seconds it took. */
export async function secondsUntilAllFinal(
  client: Client,
  acknowledgedIds: readonly string[],
  startedAtMs: number,
  deadlineMs: number,
): Promise<number | null> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const remaining = await notFinalCount(client, acknowledgedIds).catch(() => Number.POSITIVE_INFINITY);
    if (remaining === 0) return (Date.now() - startedAtMs) / 1_000;
    if (Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function auditPayments(
  client: Client,
  merchantId: string,
  acknowledgedIds: readonly string[],
): Promise<PaymentAudit> {
  const count = async (text: string, values: unknown[] = [merchantId]): Promise<number> =>
    Number((await client.query<{ n: string }>(text, values)).rows[0]!.n);
  const statusRows = await client.query<{ status: string; n: string }>(
    'SELECT status, count(*) AS n FROM payments WHERE merchant_id = $1 GROUP BY status',
    [merchantId],
  );
  const byStatus = Object.fromEntries(statusRows.rows.map((row) => [row.status, Number(row.n)]));
  const paymentsInDatabase = Object.values(byStatus).reduce((sum, n) => sum + n, 0);
  const distinctAcknowledged = new Set(acknowledgedIds);
  const present = await count('SELECT count(*) AS n FROM payments WHERE id = ANY($1)', [[...distinctAcknowledged]]);
  const notFinal = (await notFinalCount(client, [...distinctAcknowledged])) - (distinctAcknowledged.size - present);
  const ledgerDuplicates = await count(
    `SELECT count(*) AS n FROM (SELECT payment_id, kind FROM ledger_transactions
       WHERE merchant_id = $1 AND refund_id IS NULL GROUP BY payment_id, kind HAVING count(*) > 1) AS twice`,
  );
  const ledgerMismatches = await count(
    `SELECT count(*) AS n FROM payments p
       WHERE p.merchant_id = $1
         AND (SELECT count(*) FROM ledger_transactions t WHERE t.payment_id = p.id AND t.kind = 'payment_capture')
             <> CASE WHEN p.status = 'succeeded' THEN 1 ELSE 0 END`,
  );
  const table = await client.query<{ present: boolean }>(
    `SELECT to_regclass('simulated_network_authorizations') IS NOT NULL AS present`,
  );
  const networkTableMissing = !table.rows[0]!.present;
  let networkUnrecorded = byStatus.succeeded ?? 0;
  let networkChargedTwice = 0;
  if (!networkTableMissing) {
    // The network's own record, keyed by the idempotency key the processor sends (the payment id) or found by
    // the reference the payment stored.
    const perPayment = `SELECT p.status,
         (SELECT count(*) FROM simulated_network_authorizations s
            WHERE (s.idempotency_key = p.id OR s.reference = p.network_reference) AND s.outcome = 'approved') AS approvals
       FROM payments p WHERE p.merchant_id = $1`;
    networkUnrecorded = await count(
      `SELECT count(*) AS n FROM (${perPayment}) AS x WHERE x.status = 'succeeded' AND x.approvals = 0`,
    );
    networkChargedTwice = await count(
      `SELECT count(*) AS n FROM (${perPayment}) AS x
         WHERE x.approvals > 1
            OR (x.approvals > 0 AND x.status NOT IN ('succeeded', 'requires_capture', 'processing'))`,
    );
  }
  return {
    paymentsInDatabase,
    byStatus,
    missing: distinctAcknowledged.size - present,
    notFinal,
    createdTwice: Math.max(0, paymentsInDatabase - distinctAcknowledged.size),
    ledgerDuplicates,
    ledgerMismatches,
    networkUnrecorded,
    networkChargedTwice,
    networkTableMissing,
  };
}

export async function ledgerVerification(apiUrl: string): Promise<{ balanced: boolean; body: unknown }> {
  const response = await fetch(`${apiUrl}/v1/admin/ledger/verify`, {
    headers: { 'x-admin-token': faultAdminToken },
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as { balanced?: boolean };
  return { balanced: response.status === 200 && body.balanced === true, body };
}

/** The broken guarantees among an audit's figures, in words (empty when all hold). */
export function paymentFailures(audit: PaymentAudit, { requireNetworkRecord = true } = {}): string[] {
  const failures: string[] = [];
  if (audit.missing > 0) failures.push(`${audit.missing} acknowledged payments missing`);
  if (audit.notFinal > 0) failures.push(`${audit.notFinal} payments never final`);
  if (audit.createdTwice > 0) failures.push(`${audit.createdTwice} payments created twice`);
  if (audit.ledgerDuplicates > 0) failures.push(`${audit.ledgerDuplicates} payments settled twice in the ledger`);
  if (audit.ledgerMismatches > 0) failures.push(`${audit.ledgerMismatches} payments whose ledger does not match`);
  if (audit.networkChargedTwice > 0) failures.push(`${audit.networkChargedTwice} cards charged twice at the network`);
  if (requireNetworkRecord && audit.networkTableMissing) failures.push('no simulated_network_authorizations table');
  else if (requireNetworkRecord && audit.networkUnrecorded > 0)
    failures.push(`${audit.networkUnrecorded} succeeded payments without one network approval on record`);
  return failures;
}

/** Lost and duplicated, as the figures line counts them. */
export function lossAndDuplication(audit: PaymentAudit): { lost: number; duplicated: number } {
  return {
    lost: audit.missing + audit.notFinal,
    duplicated: audit.createdTwice + audit.ledgerDuplicates + audit.networkChargedTwice,
  };
}
