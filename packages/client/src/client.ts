import { randomUUID } from 'node:crypto';
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema';

/** openapi-fetch's client over the Payments API's paths: GET, POST, DELETE typed by route. */
export type PaymentsClient = Client<paths>;

export interface PaymentsClientOptions {
  /** Where the API is served, without /v1: `https://payments.example.com`. */
  baseUrl: string;
  /** A merchant's secret key (`sk_test_…`), sent as `Authorization: Bearer …` on every request. */
  apiKey?: string;
  /** The operator's token for the /v1/admin routes, sent as `X-Admin-Token`. */
  adminToken?: string;
  /** The fetch to send requests with (a proxy's, a test server's); the global fetch when unset. */
  fetch?: (request: Request) => Promise<Response>;
  /** More headers for every request. */
  headers?: Record<string, string>;
}

/**
 * A typed client of the Payments API. Each call answers `{ data, error, response }`: `data` on a 2xx, `error` (the
 * API's `{ error: { type, code, message } }`) otherwise; it throws only when the request cannot be sent.
 */
export function createPaymentsClient(options: PaymentsClientOptions): PaymentsClient {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey !== undefined) headers.Authorization = `Bearer ${options.apiKey}`;
  if (options.adminToken !== undefined) headers['X-Admin-Token'] = options.adminToken;
  return createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    headers,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

/**
 * The `Idempotency-Key` header for a POST, a new random key when none is given. Keep the key to retry the same
 * request safely (API.md: a replay answers the first response):
 * `client.POST('/v1/payments', { params: { header: idempotencyKeyHeader(key) }, body })`.
 */
export function idempotencyKeyHeader(key: string = randomUUID()): { 'Idempotency-Key': string } {
  return { 'Idempotency-Key': key };
}
