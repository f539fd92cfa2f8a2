import { amountFromSql } from '../common/money/money';
import type { refunds } from '../database/schema';

export type RefundRow = typeof refunds.$inferSelect;

export interface RefundObject {
  id: string;
  object: 'refund';
  payment_id: string;
  amount: number;
  currency: string;
  status: 'succeeded';
  created_at: string;
  [key: string]: unknown;
}

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
