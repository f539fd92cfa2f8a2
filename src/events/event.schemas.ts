import { z } from 'zod';
import { type IdPrefix, isId } from '../common/ids';
import { EVENT_TYPES } from './event-types';

// API.md: every list takes `limit` 1–100 (default 10) and `starting_after`, an id from the previous page.
export const listLimitSchema = z.coerce.number().int().min(1).max(100).default(10);

export function idSchema(prefix: IdPrefix) {
  return z.string().refine((value) => isId(prefix, value), { message: `must be an id starting with ${prefix}_` });
}

export const listEventsQuerySchema = z.strictObject({
  limit: listLimitSchema,
  starting_after: idSchema('evt').optional(),
  type: z.enum(EVENT_TYPES).optional(),
});
export type ListEventsQuery = z.output<typeof listEventsQuerySchema>;
