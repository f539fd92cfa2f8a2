import { z } from 'zod';
import { amountFromSql } from '../common/money/money';
import { amountMinorMax, amountMinorMin } from '../common/money/money.limits';
import type { refunds } from '../database/schema';
import { REFUND_STATUSES } from '../database/enum-values';
import { apiComponent } from '../openapi/api-components';

export type RefundRow = typeof refunds.$inferSelect;

/** API.md's refund object. */
export const refundSchema = apiComponent(
  'Refund',
  z.strictObject({
    id: z.string().meta({ description: 're_…' }),
    object: z.literal('refund'),
    payment_id: z.string().meta({ description: 'pay_…' }),
    amount: z
      .number()
      .int()
      .min(amountMinorMin)
      .max(amountMinorMax)
      .meta({ description: 'Minor units of `currency`.' }),
    currency: z.string().meta({ description: 'ISO 4217, upper case: the payment’s.' }),
    status: z.enum(REFUND_STATUSES),
    created_at: z.string().meta({ description: 'ISO 8601 UTC.' }),
  }),
);
export type RefundObject = z.output<typeof refundSchema>;

export function presentRefund(row: RefundRow): RefundObject {
  return {
    id: row.id,
    object: 'refund',
    payment_id: row.paymentId,
    amount: amountFromSql(row.amount),
    currency: row.currency,
    status: row.status,
    created_at: row.createdAt.toISOString(),
  };
}
