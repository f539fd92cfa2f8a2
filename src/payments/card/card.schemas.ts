import { z } from 'zod';
import { isCardExpired } from './card-expiry';
import { cardNumberLengthMax, cardNumberLengthMin, passesLuhn } from './luhn';

export const cardSchema = z
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

/** The create body's `payment_method` for a card. */
export const cardPaymentMethodSchema = z.strictObject({ type: z.literal('card'), card: cardSchema });
export type CardPaymentMethodInput = z.output<typeof cardPaymentMethodSchema>;

/** The payment object's `card`: what may be shown of a card, never its number or CVC. */
export const cardSummarySchema = z.strictObject({
  brand: z.string().meta({ description: '`visa`, `mastercard`, …' }),
  last4: z.string(),
  exp_month: z.number().int().min(1).max(12),
  exp_year: z.number().int().min(2000).max(2099),
  fingerprint: z.string().meta({ description: 'A keyed hash of the number: the same card, the same fingerprint.' }),
});
