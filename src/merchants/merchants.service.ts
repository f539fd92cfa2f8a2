import { Injectable } from '@nestjs/common';
import type { Tx } from '../database/database';
import { merchants } from '../database/schema';
import { newId } from '../common/ids';
import { ApiKeysService } from './api-keys.service';
import type { MerchantCreated } from './merchant.presenter';

@Injectable()
export class MerchantsService {
  constructor(private readonly apiKeys: ApiKeysService) {}

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
}
