import { Injectable } from '@nestjs/common';
import { defineCacheFamily } from '../caching/cache-family';
import { HotCache } from '../caching/hot-cache.service';
import { balanceCache, currentBalanceId } from '../ledger/balance-cache';
import { refundCache } from '../refunds/refund-cache';

/** A payment changes a few times in its life (processing → succeeded → refunded); each change invalidates it, so
 * the TTL only bounds staleness after an invalidation the cache Redis missed. */
const paymentCacheTtlMs = 60_000;

/** GET /v1/payments/:id, cached per merchant and payment. */
export const paymentCache = defineCacheFamily('payment', { ttlMs: paymentCacheTtlMs });

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
      this.cache.invalidate(paymentCache, merchantId, paymentId),
      this.cache.invalidate(balanceCache, merchantId, currentBalanceId),
    ]);
  }

  async refundCreated(merchantId: string, paymentId: string, refundId: string): Promise<void> {
    await Promise.all([
      this.paymentChanged(merchantId, paymentId),
      this.cache.invalidate(refundCache, merchantId, refundId),
    ]);
  }
}
