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

let keyCounter = 0;
/** A fresh idempotency key per call, unique across the test run. */
export function uniqueKey(label = 'key'): string {
  keyCounter += 1;
  return `${label}-${process.pid}-${Date.now()}-${keyCounter}`;
}

export async function createMerchant(subject: TestApp, name = 'Acme'): Promise<Merchant> {
  const response = await subject.inject({
    method: 'POST',
    url: '/v1/admin/merchants',
    headers: { 'x-admin-token': testAdminToken },
    payload: { name },
  });
  if (response.statusCode !== 201) throw new Error(`merchant creation failed: ${response.statusCode} ${response.body}`);
  const body = response.json<{ id: string; api_key: string }>();
  return { id: body.id, apiKey: body.api_key, headers: { authorization: `Bearer ${body.api_key}` } };
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

export interface PaymentBody {
  id: string;
  status: string;
  amount: number;
  currency: string;
  capture_method: string;
  amount_capturable: number;
  amount_captured: number;
  amount_refunded: number;
  failure_code: string | null;
  card: Record<string, unknown>;
  created_at: string;
  [key: string]: unknown;
}

export async function createPayment(
  subject: TestApp,
  merchant: Merchant,
  body: unknown = paymentBody(),
  key = uniqueKey('pay'),
) {
  return subject.inject({
    method: 'POST',
    url: '/v1/payments',
    headers: { ...merchant.headers, 'idempotency-key': key },
    payload: body as object,
  });
}

export async function getPayment(subject: TestApp, merchant: Merchant, id: string): Promise<PaymentBody> {
  const response = await subject.inject({ method: 'GET', url: `/v1/payments/${id}`, headers: merchant.headers });
  if (response.statusCode !== 200) throw new Error(`GET payment ${id}: ${response.statusCode} ${response.body}`);
  return response.json<PaymentBody>();
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

/** The operator's calls on a merchant's API keys (API.md "API keys"). */
export function apiKeysCall(
  subject: TestApp,
  method: 'GET' | 'POST' | 'DELETE',
  merchantId: string,
  { keyId, query = '', headers = {} }: { keyId?: string; query?: string; headers?: Record<string, string> } = {},
) {
  const url = `/v1/admin/merchants/${merchantId}/api_keys${keyId ? `/${keyId}` : ''}${query}`;
  return subject.inject({
    method,
    url,
    headers: { 'x-admin-token': testAdminToken, ...headers },
    ...(method === 'POST' ? { payload: {} } : {}),
  });
}
