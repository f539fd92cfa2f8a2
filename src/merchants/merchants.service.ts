import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { and, eq, isNull } from 'drizzle-orm';
import { sha256Hex } from '../auth/secret-hash';
import { apiKeyMerchantId, HotCache } from '../caching/hot-cache.service';
import { newId } from '../common/ids';
import { Database, type Tx } from '../database/database';
import { apiKeys, merchants } from '../database/schema';

// 32 random bytes (256 bits) make a key that cannot be guessed; base64url keeps it header-safe.
const apiKeyRandomBytes = 32;
export const apiKeyPrefix = 'sk_test_';

export interface MerchantCreated {
  id: string;
  object: 'merchant';
  name: string;
  api_key: string;
  created_at: string;
}

@Injectable()
export class MerchantsService {
  constructor(
    private readonly database: Database,
    private readonly cache: HotCache,
  ) {}

  /** Creates a merchant and its secret key; the plain key exists only in this return value. */
  async create(tx: Tx, name: string): Promise<MerchantCreated> {
    const id = newId('mer');
    const apiKey = apiKeyPrefix + randomBytes(apiKeyRandomBytes).toString('base64url');
    const [merchant] = await tx.insert(merchants).values({ id, name }).returning();
    await tx.insert(apiKeys).values({ id: newId('key'), merchantId: id, keyHash: sha256Hex(apiKey) });
    return { id, object: 'merchant', name, api_key: apiKey, created_at: merchant!.createdAt.toISOString() };
  }

  /** The merchant of `apiKey` when this process holds it already: no I/O, no waiting. Undefined: look it up. */
  merchantIdForApiKeyAtHand(apiKey: string): string | undefined {
    if (!apiKey.startsWith(apiKeyPrefix)) return undefined;
    return this.cache.localApiKeyMerchantId(sha256Hex(apiKey));
  }

  /** Behind every authenticated request: served from the in-process and Redis caches, PostgreSQL on a miss. */
  async merchantIdForApiKey(apiKey: string): Promise<string | null> {
    if (!apiKey.startsWith(apiKeyPrefix)) return null;
    const keyHash = sha256Hex(apiKey);
    return this.cache.getOrLoad('api_key', apiKeyMerchantId, keyHash, async () => {
      const [row] = await this.database.db
        .select({ merchantId: apiKeys.merchantId })
        .from(apiKeys)
        .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)))
        .limit(1);
      return row?.merchantId ?? null;
    });
  }
}
