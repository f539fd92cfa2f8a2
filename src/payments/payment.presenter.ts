import { z } from 'zod';
import { amountFromSql } from '../common/money/money';
import { amountMinorMax, amountMinorMin } from '../common/money/money.limits';
import { listSchemaOf } from '../common/pagination';
import type { payments } from '../database/schema';
import { apiComponent } from '../openapi/api-components';
import { CAPTURE_METHODS, PAYMENT_STATUSES } from './payment-status';
import { cardSummarySchema } from './card/card.schemas';
import type { PaymentMethodFields } from './payment-methods/payment-method.handler';

export type PaymentRow = typeof payments.$inferSelect;

// The amount is API.md's 1 ≤ amount ≤ 99,999,999,999; the parts of it that move are between 0 and the amount.
const moneyField = (minimum: number, description: string) =>
  z.number().int().min(minimum).max(amountMinorMax).meta({ description });

/**
 * API.md's payment object. It stays open (`additionalProperties`) for payment methods: a handler may present
 * fields of its own (docs/extending.md), so a client must accept fields it does not know; every field here is
 * still required and typed.
 */
export const paymentSchema = apiComponent(
  'Payment',
  z
    .object({
      id: z.string().meta({ description: 'pay_…' }),
      object: z.literal('payment'),
      amount: moneyField(amountMinorMin, 'Minor units of `currency`.'),
      currency: z.string().meta({ description: 'ISO 4217, upper case.' }),
      status: z.enum(PAYMENT_STATUSES),
      capture_method: z.enum(CAPTURE_METHODS),
      amount_capturable: moneyField(0, 'Authorized and not captured yet (manual capture).'),
      amount_captured: moneyField(0, 'Captured so far.'),
      amount_refunded: moneyField(0, 'Refunded so far; never above `amount_captured`.'),
      payment_method_type: z.string().meta({ description: 'The create body’s `payment_method.type`: `card`, …' }),
      card: cardSummarySchema.nullable().meta({ description: 'The card summary of a card payment; null otherwise.' }),
      failure_code: z.string().nullable().meta({ description: '`card_declined`, `insufficient_funds`, …' }),
      failure_message: z.string().nullable(),
      disputed: z
        .boolean()
        .meta({
          description: 'True once the card network opened a dispute on the payment (it can no longer be refunded).',
        }),
      description: z.string().nullable(),
      metadata: z.record(z.string(), z.string()),
      created_at: z.string().meta({ description: 'ISO 8601 UTC.' }),
      updated_at: z.string().meta({ description: 'ISO 8601 UTC.' }),
    })
    .catchall(z.unknown()),
);
export type PaymentObject = z.output<typeof paymentSchema>;

export const paymentListSchema = apiComponent('PaymentList', listSchemaOf(paymentSchema));

/**
 * The API's payment object: the card summary only, never the number or the CVC. The method's fields come from its
 * handler (PaymentMethodRegistry.present).
 */
export function presentPayment(row: PaymentRow, method: PaymentMethodFields): PaymentObject {
  return {
    id: row.id,
    object: 'payment',
    amount: amountFromSql(row.amount),
    currency: row.currency,
    status: row.status,
    capture_method: row.captureMethod,
    amount_capturable: amountFromSql(row.amountCapturable),
    amount_captured: amountFromSql(row.amountCaptured),
    amount_refunded: amountFromSql(row.amountRefunded),
    payment_method_type: row.paymentMethodType,
    card: method.card,
    failure_code: row.failureCode,
    failure_message: row.failureMessage,
    disputed: row.disputed,
    description: row.description,
    metadata: row.metadata,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
