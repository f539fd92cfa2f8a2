import { z } from 'zod';
import { idSchema, listLimitSchema } from '../common/validation/list-query';

export const listApiKeysQuerySchema = z.strictObject({
  limit: listLimitSchema,
  starting_after: idSchema('key').optional(),
});
export type ListApiKeysQuery = z.output<typeof listApiKeysQuerySchema>;

/** Creating a key takes no parameters; a body, if sent, must be empty (unknown fields are refused). */
export const createApiKeySchema = z.strictObject({});
