import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

const createdAt = () => timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow();

export const merchants = pgTable('merchants', {
  id: text().primaryKey(),
  name: text().notNull(),
  createdAt: createdAt(),
});

/** Secret API keys, stored only as SHA-256 hashes: the plain key is shown once, at creation. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text().primaryKey(),
    merchantId: text()
      .notNull()
      .references(() => merchants.id),
    keyHash: text().notNull().unique(),
    createdAt: createdAt(),
    revokedAt: timestamp({ withTimezone: true, precision: 3 }),
  },
  (table) => [
    index('api_keys_merchant_idx')
      .on(table.merchantId)
      .where(sql`revoked_at IS NULL`),
  ],
);
