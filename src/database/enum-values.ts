// The values of the schema's pg enums (payment_status, capture_method, refund_status), in a file with no imports:
// schema.ts makes the enums from them and payments' status machine (payments/payment-status.ts) re-exports them
// with their types, so the column values and the TypeScript constants cannot drift. Like the tables, they are the
// stored vocabulary: changing one needs a migration (`npm run db:generate`), whichever feature asks for it.

export const PAYMENT_STATUSES = ['processing', 'requires_capture', 'succeeded', 'failed', 'canceled'] as const;

export const CAPTURE_METHODS = ['automatic', 'manual'] as const;

// A refund succeeds when it is created (the money is taken from the merchant's available balance at once).
export const REFUND_STATUSES = ['succeeded'] as const;
