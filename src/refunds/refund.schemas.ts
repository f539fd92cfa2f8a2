import { z } from 'zod';
import { isId } from '../common/ids';
import { amountMinorMax, amountMinorMin } from '../common/money/money.limits';

/** The same rule and messages as a payment's amount (API.md: integer minor units in the money limits). */
const refundAmountSchema = z
  .number()
  .int('must be an integer number of minor units')
  .min(amountMinorMin, `must be at least ${amountMinorMin}`)
  .max(amountMinorMax, `must be at most ${amountMinorMax}`);

export const createRefundSchema = z.strictObject({
  payment_id: z.string().refine((value) => isId('pay', value), { message: 'must be a payment id (pay_…)' }),
  amount: refundAmountSchema.optional(),
});
export type CreateRefundInput = z.output<typeof createRefundSchema>;
