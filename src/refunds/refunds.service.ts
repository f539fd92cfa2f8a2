import { Injectable } from '@nestjs/common';
import { and, eq } from 'drizzle-orm';
import { ApiError, apiErrors } from '../common/errors/api-error';
import { newId } from '../common/ids';
import { Database, type Tx } from '../database/database';
import { payments, refunds } from '../database/schema';
import { EventsService } from '../events/events.service';
import { HotCache } from '../caching/hot-cache.service';
import { LedgerService } from '../ledger/ledger.service';
import { paymentCache } from '../payments/payment-cache';
import { refundCache } from './refund-cache';
import { paymentColumns, paymentMoney, PaymentsService } from '../payments/payments.service';
import { refund as refundTransition } from '../payments/payment-transitions';
import { presentRefund, type RefundObject } from './refund.presenter';
import type { CreateRefundInput } from './refund.schemas';

@Injectable()
export class RefundsService {
  constructor(
    private readonly database: Database,
    private readonly payments: PaymentsService,
    private readonly ledger: LedgerService,
    private readonly events: EventsService,
    private readonly cache: HotCache,
  ) {}

  /**
   * Refunds part or all of what is left of a captured payment. The payment row is locked for the transaction,
   * so concurrent refunds of one payment run one after another and their sum can never pass amount_captured
   * (the database's check on payments enforces the same bound).
   */
  async create(tx: Tx, merchantId: string, input: CreateRefundInput): Promise<RefundObject> {
    const payment = await this.payments.lockOwned(tx, merchantId, input.payment_id);
    const transition = refundTransition(paymentMoney(payment), input.amount);
    if (!transition.allowed) {
      const { refusal } = transition;
      if (refusal.reason === 'state_invalid') {
        throw new ApiError(
          409,
          'invalid_request_error',
          'payment_state_invalid',
          `This payment is ${refusal.status}; only a succeeded payment can be refunded.`,
          'payment_id',
        );
      }
      throw new ApiError(422, 'invalid_request_error', 'amount_too_large', refusal.message, 'amount');
    }
    const [row] = await tx
      .insert(refunds)
      .values({
        id: newId('re'),
        merchantId,
        paymentId: payment.id,
        amount: BigInt(transition.amountMinor),
        currency: payment.currency,
        status: 'succeeded',
      })
      .returning();
    const refund = presentRefund(row!);
    await tx
      .update(payments)
      .set({ ...paymentColumns(transition.changes), updatedAt: new Date() })
      .where(eq(payments.id, payment.id));
    await this.ledger.record(tx, { ...transition.ledger!, merchantId, paymentId: payment.id, refundId: refund.id });
    await this.events.record(tx, merchantId, 'refund.succeeded', refund);
    // The payment's amount_refunded moved; a "not found" remembered for the new refund's id must go.
    this.cache.invalidateAfterCommit(tx, paymentCache, merchantId, payment.id);
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
