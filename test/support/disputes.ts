import { sql } from 'drizzle-orm';
import { type components, idempotencyKeyHeader } from '../../packages/client/src';
import { Database } from '../../src/database/database';
import { clientAs, dataOf, eventually, type Merchant } from './api';
import { injectedResponse } from './inject-fetch';
import type { TestApp } from './test-app';

export type DisputeBody = components['schemas']['Dispute'];

/** The test card the simulated network disputes (API.md "Disputes"). */
export const disputedCard = '4000000000002685';

/**
 * The simulated network opens the payment's dispute now instead of DISPUTE_DELAY_MS after the capture: for tests
 * that run their app with a long delay, so that what they do before the opening (a refund) is no race with a clock.
 * Waits for the capture to reach the network first (it starts the dispute's clock and fixes what is disputable).
 */
export async function networkOpensDispute(subject: TestApp, paymentId: string): Promise<void> {
  const database = subject.app.get(Database);
  await eventually(
    async () =>
      (
        await database.db.execute<{ opens_at: string | null }>(
          sql`SELECT opens_at FROM card_network_disputes WHERE payment_id = ${paymentId}`,
        )
      ).rows[0]?.opens_at ?? null,
    (opensAt) => opensAt !== null,
    { what: `the network's dispute clock of ${paymentId}` },
  );
  await database.db.execute(sql`
    UPDATE card_network_disputes SET evidence_due_by = now() + (evidence_due_by - opens_at), opens_at = now()
     WHERE payment_id = ${paymentId}`);
}

export async function disputesOf(subject: TestApp, merchant: Merchant, query: Record<string, string | number> = {}) {
  return dataOf(await clientAs(subject, merchant).GET('/v1/disputes', { params: { query } }), 'disputes');
}

/** The payment's dispute once the app recorded it (its poll found what the network opened). */
export async function disputeOfPayment(subject: TestApp, merchant: Merchant, paymentId: string): Promise<DisputeBody> {
  const listed = await eventually(
    () => disputesOf(subject, merchant, { payment_id: paymentId }),
    (list) => list.data.length === 1,
    { what: `the dispute of ${paymentId}` },
  );
  return listed.data[0]!;
}

export async function getDispute(subject: TestApp, merchant: Merchant, id: string): Promise<DisputeBody> {
  return dataOf(
    await clientAs(subject, merchant).GET('/v1/disputes/{id}', { params: { path: { id } } }),
    `dispute ${id}`,
  );
}

/** The dispute once the network's decision (or the merchant's acceptance) closed it. */
export async function settledDispute(subject: TestApp, merchant: Merchant, id: string): Promise<DisputeBody> {
  return eventually(
    () => getDispute(subject, merchant, id),
    (dispute) => dispute.status === 'won' || dispute.status === 'lost',
    { what: `dispute ${id} decided` },
  );
}

/** POST /v1/disputes/:id/evidence; `text` untyped on purpose (tests send what the contract refuses). */
export async function submitEvidence(subject: TestApp, merchant: Merchant, id: string, text: unknown, key?: string) {
  const { response } = await clientAs(subject, merchant).POST('/v1/disputes/{id}/evidence', {
    params: { path: { id }, header: key === undefined ? undefined : idempotencyKeyHeader(key) },
    body: { text } as { text: string },
  });
  return injectedResponse(response);
}

export async function closeDispute(subject: TestApp, merchant: Merchant, id: string) {
  const { response } = await clientAs(subject, merchant).POST('/v1/disputes/{id}/close', {
    params: { path: { id } },
    body: {},
  });
  return injectedResponse(response);
}
