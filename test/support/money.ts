import { type components, idempotencyKeyHeader, type paths } from '../../packages/client/src';
import type { Merchant } from './api';
import { adminClient, clientAs, dataOf } from './api';
import { injectedResponse } from './inject-fetch';
import type { TestApp } from './test-app';

export type Verification = components['schemas']['LedgerVerification'];

export async function verifyLedger(subject: TestApp): Promise<Verification> {
  return dataOf(await adminClient(subject).GET('/v1/admin/ledger/verify'), 'verify');
}

export type Balance = components['schemas']['Balance'];

export async function balanceOf(subject: TestApp, merchant: Merchant): Promise<Balance> {
  return dataOf(await clientAs(subject, merchant).GET('/v1/balance'), 'balance');
}

export function available(balance: Balance, currency: string): number {
  return balance.available.find((entry) => entry.currency === currency)?.amount ?? 0;
}

type RequestBody<Path extends keyof paths> = paths[Path] extends { post: { requestBody?: { content: infer Content } } }
  ? Content extends { 'application/json': infer Body }
    ? Body
    : never
  : never;

const paymentAction = /^\/v1\/payments\/([^/?]+)\/(capture|cancel)$/;

/**
 * A money movement's POST (`/v1/payments/:id/capture`, `/v1/payments/:id/cancel`, `/v1/refunds`) through the client,
 * with `key` as its Idempotency-Key; answers the inject response. `payload` is untyped on purpose: tests send amounts
 * the contract refuses.
 */
export async function postAs(subject: TestApp, merchant: Merchant, url: string, payload?: object, key?: string) {
  const client = clientAs(subject, merchant);
  const header = key === undefined ? undefined : idempotencyKeyHeader(key);
  const action = paymentAction.exec(url);
  if (action?.[2] === 'capture') {
    const body = payload as RequestBody<'/v1/payments/{id}/capture'>;
    return injectedResponse(
      (await client.POST('/v1/payments/{id}/capture', { params: { path: { id: action[1]! }, header }, body })).response,
    );
  }
  if (action?.[2] === 'cancel') {
    const body = payload as RequestBody<'/v1/payments/{id}/cancel'>;
    return injectedResponse(
      (await client.POST('/v1/payments/{id}/cancel', { params: { path: { id: action[1]! }, header }, body })).response,
    );
  }
  if (url === '/v1/refunds') {
    const body = payload as RequestBody<'/v1/refunds'>;
    // A refund without a key is refused by the API (400); the client's type requires one, the test may omit it.
    const params = { header: header as ReturnType<typeof idempotencyKeyHeader> };
    return injectedResponse((await client.POST('/v1/refunds', { params, body })).response);
  }
  throw new Error(`postAs: no client call for ${url}`);
}
