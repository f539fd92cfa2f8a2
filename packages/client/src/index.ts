// @payments/client: the Payments API's types generated from its OpenAPI document (schema.ts), a typed client
// over them, and the verifier of webhook signatures (also alone at @payments/client/webhooks).
export { createPaymentsClient, idempotencyKeyHeader } from './client';
export type { PaymentsClient, PaymentsClientOptions } from './client';
export type { components, operations, paths } from './schema';
export * from './webhooks';
