import { z } from 'zod';
import { type IdPrefix, isId } from '../ids';

// API.md: every list takes `limit` 1–100 (default 10) and `starting_after`, an id from the previous page.
export const listLimitSchema = z.coerce.number().int().min(1).max(100).default(10);

/** An id of one kind (`pay_…`, `evt_…`): the `starting_after` of a list, or a path parameter. */
export function idSchema(prefix: IdPrefix) {
  return z.string().refine((value) => isId(prefix, value), { message: `must be an id starting with ${prefix}_` });
}
