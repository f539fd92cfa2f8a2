import { z } from 'zod';
import { isId } from '../common/ids';
import { DISPUTE_STATUSES } from './dispute-status';
import { disputeLimits } from './disputes.limits';

const idOf = (prefix: 'dp' | 'pay') =>
  z.string().refine((value) => isId(prefix, value), { message: `must be an id starting with ${prefix}_` });

export const listDisputesQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(10),
  starting_after: idOf('dp').optional(),
  payment_id: idOf('pay').optional(),
  status: z.enum(DISPUTE_STATUSES).optional(),
});
export type ListDisputesQuery = z.output<typeof listDisputesQuerySchema>;

export const submitEvidenceSchema = z.strictObject({
  text: z
    .string()
    .min(1, 'must not be empty')
    .max(disputeLimits.evidenceTextLengthMax, `must be at most ${disputeLimits.evidenceTextLengthMax} characters`),
});
export type SubmitEvidenceInput = z.output<typeof submitEvidenceSchema>;

export const closeDisputeSchema = z.strictObject({});
