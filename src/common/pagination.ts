export interface ListObject<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
}

/** Rows fetched with `limit + 1`: the extra row only tells whether another page exists. */
export function pageOf<Row, Item>(rows: Row[], limit: number, present: (row: Row) => Item): ListObject<Item> {
  return { object: 'list', data: rows.slice(0, limit).map(present), has_more: rows.length > limit };
}
