import { Injectable } from '@nestjs/common';
import { and, eq } from 'drizzle-orm';
import { apiErrors } from '../common/errors/api-error';
import { newId } from '../common/ids';
import { Database, type Tx } from '../database/database';
import { refunds } from '../database/schema';
import { EventsService } from '../events/events.service';
// The refund event types this service records are declared (registered) by importing their declaration.
import './refund-events';
import { HotCache } from '../caching/hot-cache.service';
import { PaymentsService } from '../payments/payments.service';
import { refundCache } from './refund-cache';
import { presentRefund, type RefundObject } from './refund.presenter';
import type { CreateRefundInput } from './refund.schemas';

/**
 * Refunds own their table, their event and their cached reads. The payment's side (the lock, the money rule,
 * amount_refunded, the ledger move and the payment's cache) is PaymentsService.applyRefund's: refunds never read
 * or write the payments table.
 */
@Injectable()
export class RefundsService {
  constructor(
    private readonly database: Database,
    private readonly payments: PaymentsService,
    private readonly events: EventsService,
    private readonly cache: HotCache,
  ) {}

  /** Refunds part or all of what is left of a captured payment, in the caller's transaction. */
  async create(tx: Tx, merchantId: string, input: CreateRefundInput): Promise<RefundObject> {
    const refundId = newId('re');
    const applied = await this.payments.applyRefund(tx, merchantId, input.payment_id, refundId, input.amount);
    const [row] = await tx
      .insert(refunds)
      .values({
        id: refundId,
        merchantId,
        paymentId: applied.paymentId,
        amount: BigInt(applied.amountMinor),
        currency: applied.currency,
        status: 'succeeded',
      })
      .returning();
    const refund = presentRefund(row!);
    await this.events.record(tx, merchantId, 'refund.succeeded', refund);
    // A "not found" remembered for the new refund's id must go.
    this.cache.invalidateAfterCommit(tx, refundCache, merchantId, refund.id);
    return refund;
  }

  async get(merchantId: string, refundId: string): Promise<RefundObject> {
    const [row] = await this.database.db
      .select()
      .from(refunds)
      .where(and(eq(refunds.id, refundId), eq(refunds.merchantId, merchantId)))
      .limit(1);
    if (!row) throw apiErrors.resourceMissing('refund', refundId);
    return presentRefund(row);
  }
}
