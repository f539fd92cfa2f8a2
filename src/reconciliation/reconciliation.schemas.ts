import { z } from 'zod';
import { listLimitSchema } from '../common/validation/list-query';
import { dayOf, dayRange } from './reconciliation-day';

/** A UTC calendar day, YYYY-MM-DD. */
export const daySchema = z
  .string()
  .refine((value) => dayRange(value) !== null, { message: 'must be a calendar day, YYYY-MM-DD (UTC)' });

export const runReconciliationSchema = z.strictObject({
  // Today may be run (what the network settled so far; the scheduled run redoes it once the day has ended), a day to
  // come may not: nothing has happened in it yet.
  date: daySchema.refine((value) => value <= dayOf(new Date()), { message: 'must not be after today (UTC)' }),
});
export type RunReconciliationInput = z.output<typeof runReconciliationSchema>;

export const listReconciliationsQuerySchema = z.strictObject({
  limit: listLimitSchema,
  starting_after: daySchema
    .optional()
    .meta({ description: 'The `date` of the last reconciliation of the page before.' }),
});
export type ListReconciliationsQuery = z.output<typeof listReconciliationsQuerySchema>;
