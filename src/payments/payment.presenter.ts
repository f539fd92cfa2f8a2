import { amountFromSql } from '../common/money/money';
import type { payments } from '../database/schema';
import type { CaptureMethod, PaymentStatus } from './payment-status';
import type { CardSummary, PaymentMethodFields } from './payment-methods/payment-method.handler';

export type PaymentRow = typeof payments.$inferSelect;

export interface PaymentObject {
  id: string;
  object: 'payment';
  amount: number;
  currency: string;
  status: PaymentStatus;
  capture_method: CaptureMethod;
  amount_capturable: number;
  amount_captured: number;
  amount_refunded: number;
  /** The create body's `payment_method.type`. */
  payment_method_type: string;
  /** The card summary of a card payment; null for other methods. */
  card: CardSummary | null;
  failure_code: string | null;
  failure_message: string | null;
  description: string | null;
  metadata: Record<string, string>;
  created_at: string;
  updated_at: string;
  [key: string]: unknown;
}

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
    description: row.description,
    metadata: row.metadata,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
