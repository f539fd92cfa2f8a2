import { z } from 'zod';
import { apiComponent } from '../openapi/api-components';
import type { StrandedCheck } from '../payments/stranded-payments';

export const LEDGER_MISMATCH_CHECKS = [
  'transaction_unbalanced',
  'account_balance',
  'payment_amount_captured',
  'payment_amount_refunded',
  'payment_amount_capturable',
  'refund_amount',
  'payment_state',
  'payment_postings',
  // Issue 16: ledger transactions of an unknown kind; pending money released against what was due; the payouts' and
  // disputes' features prove their objects through LedgerChecks.
  'transaction_kind',
  'settlement_release',
  'payout_postings',
  'dispute_postings',
] as const;

const ledgerMismatchSchema = z.strictObject({
  check: z.enum(LEDGER_MISMATCH_CHECKS),
  id: z
    .string()
    .meta({ description: 'The transaction, account, payment, refund, payout or dispute that does not agree.' }),
  currency: z.string(),
  account: z
    .string()
    .optional()
    .meta({
      description:
        'payment_postings, payout_postings, dispute_postings: the ledger transaction kind and account kind whose ' +
        'postings differ from the ones the object’s stored state implies, as `payment_capture/merchant_available`.',
    }),
  expected: z.string().meta({ description: 'Minor units, as a decimal string.' }),
  actual: z.string().meta({ description: 'Minor units, as a decimal string.' }),
});
export type LedgerMismatch = z.output<typeof ledgerMismatchSchema>;

/**
 * A payment nobody will move on its own (the stranded payments sweep finalizes it): not a ledger mismatch, its
 * money and postings still agree. `since`: when it entered processing, or when its authorization was due.
 */
const ledgerFindingSchema = z.strictObject({
  check: z.enum(['payment_stuck_processing', 'authorization_overdue'] as const satisfies readonly StrandedCheck[]),
  id: z.string().meta({ description: 'pay_…' }),
  since: z.string().meta({ description: 'ISO 8601 UTC.' }),
});
export type LedgerFinding = z.output<typeof ledgerFindingSchema>;

/** API.md's `GET /v1/admin/ledger/verify`, with the stranded payments found on the way. */
export const ledgerVerificationSchema = apiComponent(
  'LedgerVerification',
  z.strictObject({
    balanced: z.boolean(),
    transactions_checked: z.number().int(),
    mismatches: z.array(ledgerMismatchSchema).meta({ description: 'At most 100.' }),
    findings: z
      .array(ledgerFindingSchema)
      .meta({ description: 'Stranded payments, oldest first (at most 100); they do not make `balanced` false.' }),
  }),
);
export type LedgerVerification = z.output<typeof ledgerVerificationSchema>;
