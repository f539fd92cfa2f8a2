import { z } from 'zod';
import { amountFromSql } from '../common/money/money';
import { amountMinorMax, amountMinorMin } from '../common/money/money.limits';
import { listSchemaOf } from '../common/pagination';
import type { disputes } from '../database/schema';
import { apiComponent } from '../openapi/api-components';
import { DISPUTE_STATUSES } from './dispute-status';

export type DisputeRow = typeof disputes.$inferSelect;

/** API.md's dispute object. */
export const disputeSchema = apiComponent(
  'Dispute',
  z.strictObject({
    id: z.string().meta({ description: 'dp_…' }),
    object: z.literal('dispute'),
    payment_id: z.string().meta({ description: 'pay_…' }),
    amount: z
      .number()
      .int()
      .min(amountMinorMin)
      .max(amountMinorMax)
      .meta({ description: 'Minor units of `currency`: the payment’s captured minus refunded amount when it opened.' }),
    currency: z.string().meta({ description: 'ISO 4217, upper case: the payment’s.' }),
    fee: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'Minor units: DISPUTE_FEE in the currency; kept whatever the outcome.' }),
    status: z.enum(DISPUTE_STATUSES),
    reason: z.string().meta({ description: '`fraudulent`' }),
    evidence: z
      .strictObject({
        text: z.string(),
        submitted_at: z.string().meta({ description: 'ISO 8601 UTC.' }),
      })
      .nullable(),
    evidence_due_by: z.string().meta({ description: 'ISO 8601 UTC: evidence is refused from then on.' }),
    created_at: z.string().meta({ description: 'ISO 8601 UTC.' }),
    updated_at: z.string().meta({ description: 'ISO 8601 UTC.' }),
  }),
);
export type DisputeObject = z.output<typeof disputeSchema>;

export const disputeListSchema = apiComponent('DisputeList', listSchemaOf(disputeSchema));

export function presentDispute(row: DisputeRow): DisputeObject {
  return {
    id: row.id,
    object: 'dispute',
    payment_id: row.paymentId,
    amount: amountFromSql(row.amount),
    currency: row.currency,
    fee: amountFromSql(row.fee),
    status: row.status,
    reason: row.reason,
    evidence:
      row.evidenceText === null || row.evidenceSubmittedAt === null
        ? null
        : { text: row.evidenceText, submitted_at: row.evidenceSubmittedAt.toISOString() },
    evidence_due_by: row.evidenceDueBy.toISOString(),
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
