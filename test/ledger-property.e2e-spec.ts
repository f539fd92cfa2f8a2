import fc from 'fast-check';
import { idempotencyKeyHeader } from '../packages/client/src';
import {
  clientAs,
  createMerchant,
  createPayment,
  dataOf,
  eventually,
  getPayment,
  type PaymentBody,
  paymentBody,
  settledPayment,
  testCards,
  uniqueKey,
} from './support/api';
import {
  closeDispute,
  disputedCard,
  disputeOfPayment,
  networkOpensDispute,
  settledDispute,
  submitEvidence,
} from './support/disputes';
import { fastProcessing } from './support/fast-processing';
import { available, balanceOf, postAs, verifyLedger } from './support/money';
import { startTestApp, type TestApp } from './support/test-app';

type Operation =
  | { kind: 'create'; amount: number; manual: boolean; declined: boolean; disputable: boolean }
  | { kind: 'capture'; target: number; share: number }
  | { kind: 'cancel'; target: number }
  | { kind: 'refund'; target: number; amount: number | null }
  | { kind: 'payout'; amount: number }
  | { kind: 'dispute'; target: number; answer: 'winning' | 'losing' | 'close' };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    amount: fc.integer({ min: 1, max: 5000 }),
    manual: fc.boolean(),
    declined: fc.boolean(),
    // The disputed test card (when not declined): the network may dispute it once a 'dispute' step says so.
    disputable: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('capture' as const),
    target: fc.nat(),
    share: fc.double({ min: 0.01, max: 1.2, noNaN: true }),
  }),
  fc.record({ kind: fc.constant('cancel' as const), target: fc.nat() }),
  fc.record({
    kind: fc.constant('refund' as const),
    target: fc.nat(),
    amount: fc.option(fc.integer({ min: 1, max: 3000 }), { nil: null }),
  }),
  fc.record({ kind: fc.constant('payout' as const), amount: fc.integer({ min: 1, max: 4000 }) }),
  fc.record({
    kind: fc.constant('dispute' as const),
    target: fc.nat(),
    answer: fc.constantFrom('winning' as const, 'losing' as const, 'close' as const),
  }),
);

describe('the ledger under random sequences of payments, captures, cancels, refunds, payouts and disputes', () => {
  let subject: TestApp;

  beforeAll(async () => {
    // Payouts are paid as soon as they are in transit: every sequence ends with its payouts' money out of the ledger.
    // The network disputes a payment of the disputed card only when a 'dispute' step opens it (networkOpensDispute).
    subject = await startTestApp({
      ...fastProcessing,
      PAYOUT_ARRIVAL_MS: '0',
      DISPUTE_DELAY_MS: '3600000',
      DISPUTE_POLL_INTERVAL_MS: '100',
    });
  });
  afterAll(async () => {
    await subject.close();
  });

  it('stays balanced, and the balance equals what the responses reported', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 1, maxLength: 10 }), async (operations) => {
        const merchant = await createMerchant(subject, 'Property');
        const paymentIds: string[] = [];
        const disputable = new Set<string>();
        let refundedByResponses = 0;
        const payoutIds: string[] = [];
        let paidOutByResponses = 0;
        // What disputes took for good: every fee, and the amount of each one lost.
        let disputedAwayByResponses = 0;
        for (const step of operations) {
          if (step.kind === 'payout') {
            // Nothing else moves this merchant's available balance meanwhile (its payouts are paid, never returned).
            const availableBefore = available(await balanceOf(subject, merchant), 'USD');
            const { data, response } = await clientAs(subject, merchant).POST('/v1/payouts', {
              params: { header: idempotencyKeyHeader(uniqueKey('property')) },
              body: { amount: step.amount, currency: 'usd' },
            });
            expect(response.status).toBe(step.amount <= availableBefore ? 201 : 422);
            if (data) {
              payoutIds.push(data.id);
              paidOutByResponses += data.amount;
            }
            continue;
          }
          if (step.kind === 'create') {
            const body = paymentBody(
              { amount: step.amount, capture_method: step.manual ? 'manual' : 'automatic' },
              { number: step.declined ? testCards.declined : step.disputable ? disputedCard : testCards.visa },
            );
            const created = await createPayment(subject, merchant, body);
            expect(created.statusCode).toBe(202);
            const settled = await settledPayment(subject, merchant, created.json<PaymentBody>().id);
            paymentIds.push(settled.id);
            if (step.disputable && !step.declined) disputable.add(settled.id);
            continue;
          }
          if (paymentIds.length === 0) continue;
          const id = paymentIds[step.target % paymentIds.length]!;
          const before = await getPayment(subject, merchant, id);
          if (step.kind === 'capture') {
            const amount = Math.max(1, Math.floor(before.amount_capturable * step.share));
            const response = await postAs(subject, merchant, `/v1/payments/${id}/capture`, { amount });
            const expected = before.status !== 'requires_capture' ? 409 : amount > before.amount_capturable ? 422 : 200;
            expect(response.statusCode).toBe(expected);
          } else if (step.kind === 'cancel') {
            const response = await postAs(subject, merchant, `/v1/payments/${id}/cancel`);
            expect(response.statusCode).toBe(before.status === 'requires_capture' ? 200 : 409);
          } else if (step.kind === 'dispute') {
            const disputedAmount = before.amount_captured - before.amount_refunded;
            if (!disputable.has(id) || before.status !== 'succeeded' || before.disputed || disputedAmount === 0)
              continue;
            await networkOpensDispute(subject, id);
            const opened = await disputeOfPayment(subject, merchant, id);
            expect(opened.amount).toBe(disputedAmount);
            const answered =
              step.answer === 'close'
                ? await closeDispute(subject, merchant, opened.id)
                : await submitEvidence(
                    subject,
                    merchant,
                    opened.id,
                    step.answer === 'winning' ? 'winning_evidence' : 'a note',
                  );
            expect(answered.statusCode).toBe(200);
            const decided = await settledDispute(subject, merchant, opened.id);
            expect(decided.status).toBe(step.answer === 'winning' ? 'won' : 'lost');
            disputedAwayByResponses += decided.fee + (decided.status === 'lost' ? decided.amount : 0);
          } else {
            const refundable = before.amount_captured - before.amount_refunded;
            const response = await postAs(
              subject,
              merchant,
              '/v1/refunds',
              { payment_id: id, ...(step.amount === null ? {} : { amount: step.amount }) },
              uniqueKey('property'),
            );
            const requested = step.amount ?? refundable;
            const expected =
              before.status !== 'succeeded' || before.disputed
                ? 409
                : requested > refundable || requested === 0
                  ? 422
                  : 201;
            expect(response.statusCode).toBe(expected);
            if (response.statusCode === 201) refundedByResponses += response.json<{ amount: number }>().amount;
          }
        }
        let capturedByResponses = 0;
        for (const id of paymentIds) capturedByResponses += (await getPayment(subject, merchant, id)).amount_captured;
        expect(available(await balanceOf(subject, merchant), 'USD')).toBe(
          capturedByResponses - refundedByResponses - paidOutByResponses - disputedAwayByResponses,
        );
        for (const id of payoutIds) {
          await eventually(
            async () =>
              dataOf(await clientAs(subject, merchant).GET('/v1/payouts/{id}', { params: { path: { id } } }), id),
            (payout) => payout.status === 'paid',
            { what: `payout ${id} paid` },
          );
        }
        const verification = await verifyLedger(subject);
        expect(verification.mismatches).toEqual([]);
        expect(verification.balanced).toBe(true);
      }),
      { numRuns: 15 },
    );
  });
});
