import { Injectable } from '@nestjs/common';
import { currentResourceId } from '../caching/caching.constants';
import { HotCache } from '../caching/hot-cache.service';

/**
 * Deletes the cache entries a committed change made stale: the payment, and the merchant's balance when money
 * moved. Called after the commit, before the client is answered, so an answered write is never followed by an
 * older read.
 */
@Injectable()
export class PaymentCache {
  constructor(private readonly cache: HotCache) {}

  async paymentChanged(merchantId: string, paymentId: string): Promise<void> {
    await Promise.all([
      this.cache.invalidate('payment', merchantId, paymentId),
      this.cache.invalidate('balance', merchantId, currentResourceId),
    ]);
  }

  async refundCreated(merchantId: string, paymentId: string, refundId: string): Promise<void> {
    await Promise.all([
      this.paymentChanged(merchantId, paymentId),
      this.cache.invalidate('refund', merchantId, refundId),
    ]);
  }
}
