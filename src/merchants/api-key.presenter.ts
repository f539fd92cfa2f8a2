import type { apiKeys } from '../database/schema';

export interface ApiKeyObject {
  id: string;
  object: 'api_key';
  /** The key's last four characters; null for keys made before they were kept. */
  last4: string | null;
  created_at: string;
  revoked_at: string | null;
}

/** An API key with its secret, as answered once, at creation. */
export interface ApiKeyCreated extends ApiKeyObject {
  api_key: string;
}

/** API.md's API key object: never the key itself, nor its hash. */
export function presentApiKey(row: typeof apiKeys.$inferSelect): ApiKeyObject {
  return {
    id: row.id,
    object: 'api_key',
    last4: row.last4,
    created_at: row.createdAt.toISOString(),
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}
