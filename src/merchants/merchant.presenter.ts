import { z } from 'zod';
import { apiComponent } from '../openapi/api-components';

/** A new merchant, as answered once to the operator: with its first secret API key (API.md "Merchants"). */
export const merchantCreatedSchema = apiComponent(
  'MerchantCreated',
  z.strictObject({
    id: z.string().meta({ description: 'mer_…' }),
    object: z.literal('merchant'),
    name: z.string(),
    api_key: z.string().meta({ description: 'sk_test_…: the secret key, shown in this response only.' }),
    api_key_id: z.string().meta({ description: 'key_…: the key’s id, to list or revoke it.' }),
    created_at: z.string().meta({ description: 'ISO 8601 UTC.' }),
  }),
);
export type MerchantCreated = z.output<typeof merchantCreatedSchema>;
