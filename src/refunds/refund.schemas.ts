import { z } from 'zod';
import { isId } from '../common/ids';
import { amountSchema } from '../payments/payment.schemas';

export const createRefundSchema = z.strictObject({
  payment_id: z.string().refine((value) => isId('pay', value), { message: 'must be a payment id (pay_…)' }),
  amount: amountSchema.optional(),
});
export type CreateRefundInput = z.output<typeof createRefundSchema>;
