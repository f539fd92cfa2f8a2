import { z } from 'zod';
import { PAYOUT_SCHEDULES } from '../database/enum-values';
import type { merchants } from '../database/schema';
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

/** A merchant as the operator reads it (GET and PATCH /v1/admin/merchants/:id). */
export const merchantSchema = apiComponent(
  'Merchant',
  z.strictObject({
    id: z.string().meta({ description: 'mer_…' }),
    object: z.literal('merchant'),
    name: z.string(),
    payout_schedule: z.enum(PAYOUT_SCHEDULES).meta({
      description:
        'When automatic payouts are made: `manual` (never), `daily` (00:00 UTC) or `weekly` (Mondays, 00:00 UTC).',
    }),
    created_at: z.string().meta({ description: 'ISO 8601 UTC.' }),
  }),
);
export type MerchantObject = z.output<typeof merchantSchema>;

export function presentMerchant(row: typeof merchants.$inferSelect): MerchantObject {
  return {
    id: row.id,
    object: 'merchant',
    name: row.name,
    payout_schedule: row.payoutSchedule,
    created_at: row.createdAt.toISOString(),
  };
}
