import type { TestApp } from './test-app';
import { testAdminToken } from './test-app';
import type { Merchant } from './api';

export interface Verification {
  balanced: boolean;
  transactions_checked: number;
  mismatches: unknown[];
}

export async function verifyLedger(subject: TestApp): Promise<Verification> {
  const response = await subject.inject({
    method: 'GET',
    url: '/v1/admin/ledger/verify',
    headers: { 'x-admin-token': testAdminToken },
  });
  if (response.statusCode !== 200) throw new Error(`verify: ${response.statusCode} ${response.body}`);
  return response.json<Verification>();
}

export interface Balance {
  object: 'balance';
  available: { currency: string; amount: number }[];
  pending: { currency: string; amount: number }[];
}

export async function balanceOf(subject: TestApp, merchant: Merchant): Promise<Balance> {
  const response = await subject.inject({ method: 'GET', url: '/v1/balance', headers: merchant.headers });
  if (response.statusCode !== 200) throw new Error(`balance: ${response.statusCode} ${response.body}`);
  return response.json<Balance>();
}

export function available(balance: Balance, currency: string): number {
  return balance.available.find((entry) => entry.currency === currency)?.amount ?? 0;
}

export function postAs(subject: TestApp, merchant: Merchant, url: string, payload?: object, key?: string) {
  return subject.inject({
    method: 'POST',
    url,
    headers: { ...merchant.headers, ...(key ? { 'idempotency-key': key } : {}) },
    ...(payload ? { payload } : {}),
  });
}
