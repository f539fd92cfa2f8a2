import { z } from 'zod';

/** API.md's list envelope: `{ "object": "list", "data": [...], "has_more": true }`, newest first. */
export function listSchemaOf<Item extends z.ZodType>(item: Item) {
  return z.strictObject({
    object: z.literal('list'),
    data: z.array(item),
    has_more: z
      .boolean()
      .meta({ description: 'Whether another page follows: ask with `starting_after` = the last id.' }),
  });
}

export interface ListObject<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
}

/** Rows fetched with `limit + 1`: the extra row only tells whether another page exists. */
export function pageOf<Row, Item>(rows: Row[], limit: number, present: (row: Row) => Item): ListObject<Item> {
  return { object: 'list', data: rows.slice(0, limit).map(present), has_more: rows.length > limit };
}
