import { amountFromSql } from '../common/money/money';
import type { payments } from '../database/schema';
import type { CaptureMethod, PaymentStatus } from './payment-status';

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
  card: { brand: string; last4: string; exp_month: number; exp_year: number; fingerprint: string };
  failure_code: string | null;
  failure_message: string | null;
  description: string | null;
  metadata: Record<string, string>;
  created_at: string;
  updated_at: string;
  [key: string]: unknown;
}

/** The API's payment object: the card summary only, never the number or the CVC. */
export function presentPayment(row: PaymentRow): PaymentObject {
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
    card: {
      brand: row.cardBrand,
      last4: row.cardLast4,
      exp_month: row.cardExpMonth,
      exp_year: row.cardExpYear,
      fingerprint: row.cardFingerprint,
    },
    failure_code: row.failureCode,
    failure_message: row.failureMessage,
    description: row.description,
    metadata: row.metadata,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
