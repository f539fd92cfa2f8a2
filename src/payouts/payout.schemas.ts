import { z } from 'zod';
import { idSchema, listLimitSchema } from '../common/validation/list-query';
import { amountMinorMax, amountMinorMin } from '../common/money/money.limits';
import { normalizeCurrency } from '../common/money/currency';
import { PAYOUT_STATUSES } from './payout-status';
import { payoutLimits } from './payouts.limits';

/** The same rule and messages as a payment's amount (API.md: integer minor units in the money limits). */
const payoutAmountSchema = z
  .number()
  .int('must be an integer number of minor units')
  .min(amountMinorMin, `must be at least ${amountMinorMin}`)
  .max(amountMinorMax, `must be at most ${amountMinorMax}`);

const payoutCurrencySchema = z
  .string()
  .transform((value, context) => {
    const currency = normalizeCurrency(value);
    if (currency) return currency;
    context.addIssue({ code: 'custom', message: `unknown currency '${value.slice(0, 10)}'` });
    return z.NEVER;
  })
  .meta({ description: 'ISO 4217 code, any case; returned upper case' });

export const createPayoutSchema = z.strictObject({
  amount: payoutAmountSchema,
  currency: payoutCurrencySchema,
  description: z.string().max(payoutLimits.descriptionLengthMax).optional(),
});
export type CreatePayoutInput = z.output<typeof createPayoutSchema>;

export const listPayoutsQuerySchema = z.strictObject({
  limit: listLimitSchema,
  starting_after: idSchema('po').optional(),
  status: z.enum(PAYOUT_STATUSES).optional(),
});
export type ListPayoutsQuery = z.output<typeof listPayoutsQuerySchema>;

/** POST /v1/admin/payouts/run takes no parameters. */
export const runPayoutsSchema = z.strictObject({});
