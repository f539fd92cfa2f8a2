import { z } from 'zod';
import { isId } from '../common/ids';
import { normalizeCurrency } from '../common/money/currency';
import { amountMinorMax, amountMinorMin } from '../common/money/money.limits';
import { CAPTURE_METHODS, PAYMENT_STATUSES } from './payment-status';
import { isCardExpired } from './card/card-expiry';
import { cardNumberLengthMax, cardNumberLengthMin, passesLuhn } from './card/luhn';
import { paymentLimits } from './payments.limits';

export const amountSchema = z
  .number()
  .int('must be an integer number of minor units')
  .min(amountMinorMin, `must be at least ${amountMinorMin}`)
  .max(amountMinorMax, `must be at most ${amountMinorMax}`);

export const currencySchema = z
  .string()
  .transform((value, context) => {
    const currency = normalizeCurrency(value);
    if (currency) return currency;
    context.addIssue({ code: 'custom', message: `unknown currency '${value.slice(0, 10)}'` });
    return z.NEVER;
  })
  .meta({ description: 'ISO 4217 code, any case; returned upper case' });

const cardSchema = z
  .strictObject({
    // Spaces and dashes, as printed on a card, are accepted and removed.
    number: z
      .string()
      .transform((value) => value.replace(/[\s-]/g, ''))
      .refine(
        (value) => /^\d+$/.test(value) && value.length >= cardNumberLengthMin && value.length <= cardNumberLengthMax,
        {
          message: 'must be a card number of 12 to 19 digits',
          params: { code: 'card_number_invalid' },
        },
      )
      .refine(passesLuhn, { message: 'is not a valid card number', params: { code: 'card_number_invalid' } }),
    exp_month: z.number().int().min(1).max(12),
    exp_year: z.number().int().min(2000).max(2099),
    cvc: z.string().regex(/^\d{3,4}$/, 'must be 3 or 4 digits'),
  })
  .superRefine((card, context) => {
    // Only a well-formed expiry is compared with today; a malformed one already has its own issue.
    const wellFormed = Number.isInteger(card.exp_month) && card.exp_month >= 1 && card.exp_month <= 12;
    const yearWellFormed = Number.isInteger(card.exp_year) && card.exp_year >= 2000 && card.exp_year <= 2099;
    if (wellFormed && yearWellFormed && isCardExpired(card.exp_month, card.exp_year, new Date())) {
      context.addIssue({ code: 'custom', path: ['exp_year'], message: 'the card has expired' });
    }
  });

const metadataSchema = z
  .record(
    z.string().min(1).max(paymentLimits.metadataKeyLengthMax),
    z.string().max(paymentLimits.metadataValueLengthMax),
  )
  .refine((value) => Object.keys(value).length <= paymentLimits.metadataKeysMax, {
    message: `at most ${paymentLimits.metadataKeysMax} keys`,
  });

export const createPaymentSchema = z.strictObject({
  amount: amountSchema,
  currency: currencySchema,
  payment_method: z.strictObject({ type: z.literal('card'), card: cardSchema }),
  capture_method: z.enum(CAPTURE_METHODS).default('automatic'),
  description: z.string().max(paymentLimits.descriptionLengthMax).optional(),
  metadata: metadataSchema.optional(),
});
export type CreatePaymentInput = z.output<typeof createPaymentSchema>;

export function idSchema(prefix: Parameters<typeof isId>[0]) {
  return z.string().refine((value) => isId(prefix, value), { message: `must be an id starting with ${prefix}_` });
}

export const listLimitSchema = z.coerce.number().int().min(1).max(100).default(10);

export const listPaymentsQuerySchema = z.strictObject({
  limit: listLimitSchema,
  starting_after: idSchema('pay').optional(),
  status: z.enum(PAYMENT_STATUSES).optional(),
});
export type ListPaymentsQuery = z.output<typeof listPaymentsQuerySchema>;

export const capturePaymentSchema = z.strictObject({ amount: amountSchema.optional() });
export type CapturePaymentInput = z.output<typeof capturePaymentSchema>;

export const cancelPaymentSchema = z.strictObject({});
