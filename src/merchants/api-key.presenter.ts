import { z } from 'zod';
import { listSchemaOf } from '../common/pagination';
import type { apiKeys } from '../database/schema';
import { apiComponent } from '../openapi/api-components';

const apiKeyShape = {
  id: z.string().meta({ description: 'key_…' }),
  object: z.literal('api_key'),
  last4: z
    .string()
    .nullable()
    .meta({ description: 'The key’s last four characters; null for keys made before they were kept.' }),
  created_at: z.string().meta({ description: 'ISO 8601 UTC.' }),
  revoked_at: z.string().nullable().meta({ description: 'ISO 8601 UTC of the first revocation; null while valid.' }),
};

/** API.md's API key object: never the key itself, nor its hash. */
export const apiKeySchema = apiComponent('ApiKey', z.strictObject(apiKeyShape));
export type ApiKeyObject = z.output<typeof apiKeySchema>;

/** An API key with its secret, as answered once, at creation. */
export const apiKeyCreatedSchema = apiComponent(
  'ApiKeyCreated',
  z.strictObject({
    ...apiKeyShape,
    api_key: z.string().meta({ description: 'sk_test_…: the secret key, shown in this response only.' }),
  }),
);
export type ApiKeyCreated = z.output<typeof apiKeyCreatedSchema>;

export const apiKeyListSchema = apiComponent('ApiKeyList', listSchemaOf(apiKeySchema));

export function presentApiKey(row: typeof apiKeys.$inferSelect): ApiKeyObject {
  return {
    id: row.id,
    object: 'api_key',
    last4: row.last4,
    created_at: row.createdAt.toISOString(),
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}
