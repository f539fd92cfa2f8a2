import { Injectable } from '@nestjs/common';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { apiKeyPrefix, apiKeyShapeOf, newApiKey } from '../auth/api-key-format';
import type { ApiKeyLookup } from '../auth/api-key-lookup';
import { sha256Hex } from '../common/crypto/secret-hash';
import { HotCache } from '../caching/hot-cache.service';
import { apiKeyCache, apiKeyCacheScope } from './api-key-cache';
import { ApiError, apiErrors } from '../common/errors/api-error';
import { newId } from '../common/ids';
import { type ListObject, pageOf } from '../common/pagination';
import { Database, type Tx } from '../database/database';
import { type Keyset, newestFirst, rowsAfter } from '../database/keyset';
import { apiKeys, merchants } from '../database/schema';
import { type ApiKeyCreated, type ApiKeyObject, presentApiKey } from './api-key.presenter';
import type { ListApiKeysQuery } from './api-key.schemas';

/** A merchant's keys, newest first, revoked ones included. */
const apiKeysKeyset: Keyset = { id: apiKeys.id, order: [apiKeys.createdAt, apiKeys.id], what: 'API key' };

// The key is revoked in PostgreSQL, but other processes may still hold it in the cache Redis: the operator must
// know, and repeating the call (which answers the same) clears it once Redis answers.
const revocationUnconfirmed = () =>
  new ApiError(
    503,
    'api_error',
    'service_unavailable',
    'The API key is revoked, but the cache could not be cleared, so other instances may accept it for a while; ' +
      'repeat the request.',
    undefined,
    { 'Retry-After': '1' },
  );

/** Merchants' secret API keys: issued, listed, revoked, and resolved to their merchant on every request. */
@Injectable()
export class ApiKeysService implements ApiKeyLookup {
  constructor(
    private readonly database: Database,
    private readonly cache: HotCache,
  ) {}

  /** Makes a key for `merchantId` within `tx`; the plain key exists only in the return value. */
  async issue(tx: Tx, merchantId: string): Promise<ApiKeyCreated> {
    const apiKey = newApiKey();
    const [row] = await tx
      .insert(apiKeys)
      .values({ id: newId('key'), merchantId, keyHash: sha256Hex(apiKey), last4: apiKey.slice(-4) })
      .returning();
    return { ...presentApiKey(row!), api_key: apiKey };
  }

  /** A new key for an existing merchant (404 otherwise). */
  async create(tx: Tx, merchantId: string): Promise<ApiKeyCreated> {
    await this.requireMerchant(tx, merchantId);
    return this.issue(tx, merchantId);
  }

  /** The merchant's keys, newest first, revoked ones included. */
  async list(merchantId: string, query: ListApiKeysQuery): Promise<ListObject<ApiKeyObject>> {
    const db = this.database.db;
    await this.requireMerchant(db, merchantId);
    const own = eq(apiKeys.merchantId, merchantId);
    const after = await rowsAfter(this.database, apiKeysKeyset, own, query.starting_after);
    const rows = await db
      .select()
      .from(apiKeys)
      .where(and(own, after))
      .orderBy(...newestFirst(apiKeysKeyset))
      .limit(query.limit + 1);
    return pageOf(rows, query.limit, presentApiKey);
  }

  /**
   * Revokes the key (again: answers the first revocation) and makes every process refuse it: deleted from the
   * cache Redis, and from each process's memory by a message published with that deletion.
   */
  async revoke(merchantId: string, keyId: string): Promise<ApiKeyObject> {
    const db = this.database.db;
    const [revoked] = await db
      .update(apiKeys)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiKeys.id, keyId), eq(apiKeys.merchantId, merchantId), isNull(apiKeys.revokedAt)))
      .returning();
    const row =
      revoked ??
      (
        await db
          .select()
          .from(apiKeys)
          .where(and(eq(apiKeys.id, keyId), eq(apiKeys.merchantId, merchantId)))
          .limit(1)
      )[0];
    if (!row) throw apiErrors.resourceMissing('API key', keyId);
    // Also on a repeated call: it completes a revocation whose invalidation failed the first time.
    if (!(await this.cache.invalidate(apiKeyCache, apiKeyCacheScope, row.keyHash))) throw revocationUnconfirmed();
    return presentApiKey(row);
  }

  /** The merchant of `apiKey` when this process holds it already: no I/O, no waiting. Undefined: look it up. */
  merchantIdForApiKeyAtHand(apiKey: string): string | undefined {
    if (!apiKey.startsWith(apiKeyPrefix)) return undefined;
    const merchantId = this.cache.peekInProcess(apiKeyCache, apiKeyCacheScope, sha256Hex(apiKey));
    return typeof merchantId === 'string' ? merchantId : undefined;
  }

  /**
   * Behind every authenticated request: served from the in-process and Redis caches, PostgreSQL on a miss. A key
   * whose text no key can have (see api-key-format.ts) is refused before any of them.
   */
  async merchantIdForApiKey(apiKey: string): Promise<string | null> {
    if (apiKeyShapeOf(apiKey) === 'malformed') return null;
    const keyHash = sha256Hex(apiKey);
    return this.cache.getOrLoad(apiKeyCache, apiKeyCacheScope, keyHash, async () => {
      const [row] = await this.database.db
        .select({ merchantId: apiKeys.merchantId })
        .from(apiKeys)
        .where(and(eq(apiKeys.keyHash, keyHash), isNull(apiKeys.revokedAt)))
        .limit(1);
      return row?.merchantId ?? null;
    });
  }

  private async requireMerchant(executor: Tx | Database['db'], merchantId: string): Promise<void> {
    const [merchant] = await executor
      .select({ id: merchants.id })
      .from(merchants)
      .where(eq(merchants.id, merchantId))
      .limit(1);
    if (!merchant) throw apiErrors.resourceMissing('merchant', merchantId);
  }
}
