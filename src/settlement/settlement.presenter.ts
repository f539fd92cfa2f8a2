import { z } from 'zod';
import { apiComponent } from '../openapi/api-components';

/** The operator's run of the settlement release (not in API.md: an operator extra, like the payouts' run). */
export const settlementsRunSchema = apiComponent(
  'SettlementsRun',
  z.strictObject({
    released: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'Payments whose pending amount this run moved to available (none already released).' }),
  }),
);
export type SettlementsRunObject = z.output<typeof settlementsRunSchema>;

/** The run takes no parameters: an empty JSON object, or no body. */
export const runSettlementsSchema = z.strictObject({});
