import { Injectable } from '@nestjs/common';
import { and, asc, eq, gt } from 'drizzle-orm';
import { apiErrors } from '../common/errors/api-error';
import { Database, type Tx } from '../database/database';
import type { PAYOUT_SCHEDULES } from '../database/enum-values';
import { merchants } from '../database/schema';
import { newId } from '../common/ids';
import { ApiKeysService } from './api-keys.service';
import { type MerchantCreated, type MerchantObject, presentMerchant } from './merchant.presenter';

export type PayoutSchedule = (typeof PAYOUT_SCHEDULES)[number];

@Injectable()
export class MerchantsService {
  constructor(
    private readonly database: Database,
    private readonly apiKeys: ApiKeysService,
  ) {}

  /** Creates a merchant and its first secret key; the plain key exists only in this return value. */
  async create(tx: Tx, name: string): Promise<MerchantCreated> {
    const id = newId('mer');
    const [merchant] = await tx.insert(merchants).values({ id, name }).returning();
    const key = await this.apiKeys.issue(tx, id);
    return {
      id,
      object: 'merchant',
      name,
      api_key: key.api_key,
      api_key_id: key.id,
      created_at: merchant!.createdAt.toISOString(),
    };
  }

  /** The merchant, or undefined when there is none with this id. */
  async find(merchantId: string): Promise<MerchantObject | undefined> {
    const [row] = await this.database.db.select().from(merchants).where(eq(merchants.id, merchantId)).limit(1);
    return row ? presentMerchant(row) : undefined;
  }

  async get(merchantId: string): Promise<MerchantObject> {
    const merchant = await this.find(merchantId);
    if (!merchant) throw apiErrors.resourceMissing('merchant', merchantId);
    return merchant;
  }

  /** Sets when the merchant's automatic payouts are made (the operator's PATCH). */
  async setPayoutSchedule(merchantId: string, schedule: PayoutSchedule): Promise<MerchantObject> {
    const [row] = await this.database.db
      .update(merchants)
      .set({ payoutSchedule: schedule })
      .where(eq(merchants.id, merchantId))
      .returning();
    if (!row) throw apiErrors.resourceMissing('merchant', merchantId);
    return presentMerchant(row);
  }

  /** The ids of the merchants on `schedule`, in id order after `afterId` (a page of at most `limit`). */
  async idsOnSchedule(schedule: PayoutSchedule, afterId: string, limit: number): Promise<string[]> {
    const rows = await this.database.db
      .select({ id: merchants.id })
      .from(merchants)
      .where(and(eq(merchants.payoutSchedule, schedule), gt(merchants.id, afterId)))
      .orderBy(asc(merchants.id))
      .limit(limit);
    return rows.map((row) => row.id);
  }
}
