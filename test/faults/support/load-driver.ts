import { randomBytes } from 'node:crypto';

/** The operator token every fault test's processes run with. */
export const faultAdminToken = `fault-admin-token-${randomBytes(12).toString('hex')}`;

// A retry after a refusal waits what Retry-After asks, at most this long: the suite runs on a test's time scale.
const retryWaitMaxMs = 1_000;
const retryWaitMinMs = 50;
const requestTimeoutMs = 10_000;

export interface FaultMerchant {
  id: string;
  apiKey: string;
}

export async function createFaultMerchant(apiUrl: string, name = 'Fault Co'): Promise<FaultMerchant> {
  const response = await fetch(`${apiUrl}/v1/admin/merchants`, {
    method: 'POST',
    headers: { 'x-admin-token': faultAdminToken, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
    signal: AbortSignal.timeout(requestTimeoutMs),
  });
  if (response.status !== 201) throw new Error(`merchant creation: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { id: string; api_key: string };
  return { id: body.id, apiKey: body.api_key };
}

export function cardPaymentBody(amountMinor: number, captureMethod: 'automatic' | 'manual' = 'automatic') {
  return {
    amount: amountMinor,
    capture_method: captureMethod,
    currency: 'usd',
    payment_method: {
      type: 'card',
      card: { number: '4242424242424242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 3, cvc: '123' },
    },
  };
}

export interface LoadOptions {
  /** API base URLs, used in turn. */
  apiUrls: () => readonly string[];
  merchant: FaultMerchant;
  count: number;
  concurrency: number;
  /** Past this, a key still without an answer is given up and counted unanswered. */
  deadlineMs: number;
  label: string;
  captureMethod?: 'automatic' | 'manual';
}

/**
 * A client of the test's own: creates `count` payments with unique Idempotency-Keys, `concurrency` at a time, and
 * retries a key (the same key, as a real client must) after a 5xx, a 409 or a dropped connection, until the deadline.
 */
export class LoadDriver {
  /** Idempotency-Key → the payment id the API acknowledged for it. */
  readonly acknowledged = new Map<string, string>();
  readonly statusCounts: Record<string, number> = {};
  serverErrors = 0;
  connectionErrors = 0;
  /** 503 answers that carried Retry-After and the service_unavailable code. */
  wellFormedUnavailable = 0;
  readonly unexpected: string[] = [];
  readonly keys: string[];
  private readonly amounts: number[];

  constructor(private readonly options: LoadOptions) {
    const run = randomBytes(4).toString('hex');
    this.keys = Array.from({ length: options.count }, (_, index) => `${options.label}-${run}-${index}`);
    this.amounts = this.keys.map((_, index) => 100 + (index % 900));
  }

  get unanswered(): string[] {
    return this.keys.filter((key) => !this.acknowledged.has(key));
  }

  /** Total amount the acknowledged payments asked for, in minor units. */
  get acknowledgedAmountMinor(): number {
    return this.keys.reduce((sum, key, index) => (this.acknowledged.has(key) ? sum + this.amounts[index]! : sum), 0);
  }

  async run(): Promise<void> {
    const deadline = Date.now() + this.options.deadlineMs;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < this.keys.length) {
        const index = next++;
        await this.create(index, deadline);
      }
    };
    await Promise.all(Array.from({ length: this.options.concurrency }, lane));
  }

  private async create(index: number, deadline: number): Promise<void> {
    const key = this.keys[index]!;
    for (let attempt = 0; Date.now() < deadline; attempt += 1) {
      const urls = this.options.apiUrls();
      const url = urls[(index + attempt) % urls.length]!;
      let waitMs = retryWaitMinMs;
      try {
        const response = await fetch(`${url}/v1/payments`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${this.options.merchant.apiKey}`,
            'idempotency-key': key,
            'content-type': 'application/json',
          },
          body: JSON.stringify(cardPaymentBody(this.amounts[index]!, this.options.captureMethod)),
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        const text = await response.text();
        this.statusCounts[response.status] = (this.statusCounts[response.status] ?? 0) + 1;
        if (response.status >= 200 && response.status < 300) {
          this.acknowledged.set(key, (JSON.parse(text) as { id: string }).id);
          return;
        }
        if (response.status >= 500) {
          this.serverErrors += 1;
          const retryAfter = response.headers.get('retry-after');
          if (response.status === 503 && retryAfter !== null && text.includes('"service_unavailable"'))
            this.wellFormedUnavailable += 1;
          if (retryAfter !== null) waitMs = Math.min(retryWaitMaxMs, Number(retryAfter) * 1_000);
        } else if (response.status !== 409) {
          // A refusal that no retry changes: the test reports it.
          if (this.unexpected.length < 20) this.unexpected.push(`${response.status} ${text.slice(0, 200)}`);
          return;
        }
      } catch {
        this.connectionErrors += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(retryWaitMinMs, waitMs)));
    }
  }
}
