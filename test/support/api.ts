import {
  type components,
  createPaymentsClient,
  idempotencyKeyHeader,
  type PaymentsClient,
  type paths,
} from '../../packages/client/src';
import { injectBaseUrl, injectedResponse, injectFetch } from './inject-fetch';
import type { TestApp } from './test-app';
import { testAdminToken } from './test-app';

export const testCards = {
  visa: '4242424242424242',
  mastercard: '5555555555554444',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  transientTwice: '4000000000000119',
  alwaysTimeout: '4000000000000259',
} as const;

export interface Merchant {
  id: string;
  apiKey: string;
  headers: Record<string, string>;
}

/**
 * The typed client (packages/client) as `merchant` over the test app, without a port: the integration tests call
 * the API through it, so the client is used against every route they cover. Raw `inject` stays for requests a test
 * makes malformed on purpose (headers, content types, URLs the client would not send).
 */
export function clientAs(subject: TestApp, merchant: Pick<Merchant, 'apiKey'>): PaymentsClient {
  return createPaymentsClient({ baseUrl: injectBaseUrl, apiKey: merchant.apiKey, fetch: injectFetch(subject) });
}

/** The typed client as the operator (X-Admin-Token) over the test app. */
export function adminClient(subject: TestApp): PaymentsClient {
  return createPaymentsClient({ baseUrl: injectBaseUrl, adminToken: testAdminToken, fetch: injectFetch(subject) });
}

/** The data of a client call that must succeed, typed by the document; throws with the status and body otherwise. */
export function dataOf<Data>(result: { data?: Data; response: Response }, what: string): Data {
  if (result.data === undefined) {
    const response = injectedResponse(result.response);
    throw new Error(`${what}: ${response.statusCode} ${response.body}`);
  }
  return result.data;
}

let keyCounter = 0;
/** A fresh idempotency key per call, unique across the test run. */
export function uniqueKey(label = 'key'): string {
  keyCounter += 1;
  return `${label}-${process.pid}-${Date.now()}-${keyCounter}`;
}

export async function createMerchant(subject: TestApp, name = 'Acme'): Promise<Merchant> {
  const created = dataOf(
    await adminClient(subject).POST('/v1/admin/merchants', { body: { name } }),
    'merchant creation failed',
  );
  return { id: created.id, apiKey: created.api_key, headers: { authorization: `Bearer ${created.api_key}` } };
}

export function paymentBody(overrides: Record<string, unknown> = {}, card: Record<string, unknown> = {}) {
  return {
    amount: 1099,
    currency: 'usd',
    payment_method: {
      type: 'card',
      card: { number: testCards.visa, exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, cvc: '123', ...card },
    },
    ...overrides,
  };
}

/** A payment as the API answers it (components.schemas.Payment of the generated client). */
export type PaymentBody = components['schemas']['Payment'];

/** The request body of POST /v1/payments, as the document describes it. */
export type CreatePaymentBody = NonNullable<
  paths['/v1/payments']['post']['requestBody']
>['content']['application/json'];

/**
 * POST /v1/payments through the client; answers the inject response. `body` is untyped on purpose: tests send
 * bodies the contract refuses, and other payment methods' bodies (test/payment-method-extension).
 */
export async function createPayment(
  subject: TestApp,
  merchant: Merchant,
  body: unknown = paymentBody(),
  key = uniqueKey('pay'),
) {
  const { response } = await clientAs(subject, merchant).POST('/v1/payments', {
    params: { header: idempotencyKeyHeader(key) },
    body: body as CreatePaymentBody,
  });
  return injectedResponse(response);
}

export async function getPayment(subject: TestApp, merchant: Merchant, id: string): Promise<PaymentBody> {
  return dataOf(
    await clientAs(subject, merchant).GET('/v1/payments/{id}', { params: { path: { id } } }),
    `GET payment ${id}`,
  );
}

/** Polls until `predicate` holds or the deadline passes; never a fixed sleep. */
export async function eventually<T>(
  read: () => Promise<T>,
  predicate: (value: T) => boolean,
  { deadlineMs = 20_000, intervalMs = 25, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  let last: T = await read();
  while (!predicate(last)) {
    if (Date.now() > deadline)
      throw new Error(`${what} not reached within ${deadlineMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    last = await read();
  }
  return last;
}

export function settledPayment(subject: TestApp, merchant: Merchant, id: string, deadlineMs?: number) {
  return eventually(
    () => getPayment(subject, merchant, id),
    (payment) => payment.status !== 'processing',
    { deadlineMs, what: `payment ${id} leaving processing` },
  );
}

/** The operator's calls on a merchant's API keys (API.md "API keys"), through the client; `query` as `?a=1&b=2`. */
export async function apiKeysCall(
  subject: TestApp,
  method: 'GET' | 'POST' | 'DELETE',
  merchantId: string,
  { keyId, query = '', headers = {} }: { keyId?: string; query?: string; headers?: Record<string, string> } = {},
) {
  const admin = adminClient(subject);
  const path = { id: merchantId };
  const sent =
    method === 'GET'
      ? admin.GET('/v1/admin/merchants/{id}/api_keys', {
          params: { path, query: Object.fromEntries(new URLSearchParams(query)) },
          headers,
        })
      : method === 'POST'
        ? admin.POST('/v1/admin/merchants/{id}/api_keys', { params: { path }, body: {}, headers })
        : admin.DELETE('/v1/admin/merchants/{id}/api_keys/{key_id}', {
            params: { path: { ...path, key_id: keyId ?? '' } },
            headers,
          });
  return injectedResponse((await sent).response);
}
