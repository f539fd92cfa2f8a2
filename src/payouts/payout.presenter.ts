import { z } from 'zod';
import { amountFromSql } from '../common/money/money';
import { amountMinorMax, amountMinorMin } from '../common/money/money.limits';
import { listSchemaOf } from '../common/pagination';
import type { payouts } from '../database/schema';
import { apiComponent } from '../openapi/api-components';
import { PAYOUT_FAILURE_CODES, PAYOUT_METHODS, PAYOUT_STATUSES } from './payout-status';

export type PayoutRow = typeof payouts.$inferSelect;

/** API.md's payout object. */
export const payoutSchema = apiComponent(
  'Payout',
  z.strictObject({
    id: z.string().meta({ description: 'po_…' }),
    object: z.literal('payout'),
    amount: z
      .number()
      .int()
      .min(amountMinorMin)
      .max(amountMinorMax)
      .meta({ description: 'Minor units of `currency`.' }),
    currency: z.string().meta({ description: 'ISO 4217, upper case.' }),
    status: z.enum(PAYOUT_STATUSES),
    method: z
      .enum(PAYOUT_METHODS)
      .meta({ description: '`manual`: POST /v1/payouts; `automatic`: made by the merchant’s payout schedule.' }),
    // A string rather than an enum: OpenAPI 3.0's nullable enum must list null among its values to accept it.
    failure_code: z
      .string()
      .nullable()
      .meta({ description: `When failed: ${PAYOUT_FAILURE_CODES.map((code) => `\`${code}\``).join(' or ')}.` }),
    arrival_date: z
      .string()
      .meta({ description: 'ISO 8601 UTC: when the bank is expected to pay it (creation + PAYOUT_ARRIVAL_MS).' }),
    description: z.string().nullable(),
    created_at: z.string().meta({ description: 'ISO 8601 UTC.' }),
    updated_at: z.string().meta({ description: 'ISO 8601 UTC.' }),
  }),
);
export type PayoutObject = z.output<typeof payoutSchema>;

export const payoutListSchema = apiComponent('PayoutList', listSchemaOf(payoutSchema));

/** The operator's `POST /v1/admin/payouts/run`. */
export const payoutsRunSchema = apiComponent(
  'PayoutsRun',
  z.strictObject({
    payouts_created: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'Automatic payouts made by this run (none for a period already paid out).' }),
  }),
);
export type PayoutsRunObject = z.output<typeof payoutsRunSchema>;

export function presentPayout(row: PayoutRow): PayoutObject {
  return {
    id: row.id,
    object: 'payout',
    amount: amountFromSql(row.amount),
    currency: row.currency,
    status: row.status,
    method: row.method,
    failure_code: row.failureCode,
    arrival_date: row.arrivalAt.toISOString(),
    description: row.description,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}
