import http from 'node:http';
import https from 'node:https';
import { publicOnlyLookup } from './webhook-destination';
import { webhookSignatureHeaderName } from './webhook-signature';
import { checkWebhookUrl } from './webhook-url';
import { webhookLimits } from './webhooks.limits';

export interface WebhookRequest {
  url: string;
  /** The JSON text that was signed: sent byte for byte. */
  body: string;
  signatureHeader: string;
  timeoutMs: number;
  /** Production rules: https only, public addresses only, checked again now. */
  production: boolean;
}

export interface WebhookAttempt {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  succeeded: boolean;
}

const userAgent = 'payments-webhooks/1';

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.slice(0, webhookLimits.errorLengthMax);
}

/**
 * POSTs one signed delivery and reports what happened; never throws. A 2xx answer within `timeoutMs` succeeds;
 * anything else (another status, a redirect, a refused or unreachable destination, no answer in time) fails.
 */
export function sendWebhook(request: WebhookRequest): Promise<WebhookAttempt> {
  const startedMs = performance.now();
  const outcome = (statusCode: number | null, error: string | null): WebhookAttempt => ({
    statusCode,
    error,
    durationMs: Math.round(performance.now() - startedMs),
    succeeded: statusCode !== null && statusCode >= 200 && statusCode < 300,
  });
  const check = checkWebhookUrl(request.url, request.production);
  if (!check.ok) return Promise.resolve(outcome(null, `refused: the URL ${check.reason}`));

  return new Promise((resolve) => {
    let settled = false;
    const settle = (attempt: WebhookAttempt): void => {
      if (settled) return;
      settled = true;
      resolve(attempt);
    };
    const client = check.url.protocol === 'https:' ? https : http;
    const outgoing = client.request(check.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(request.body),
        'user-agent': userAgent,
        [webhookSignatureHeaderName]: request.signatureHeader,
      },
      // A fresh connection per delivery: nothing is reused across endpoints, and every connection is looked up
      // (and, in production, checked) again.
      agent: false,
      ...(request.production ? { lookup: publicOnlyLookup } : {}),
    });
    // One deadline for the whole exchange, connection included; it also ends a body that never finishes.
    const deadline = setTimeout(() => {
      settle(outcome(null, `timeout: no answer within ${request.timeoutMs} ms`));
      outgoing.destroy();
    }, request.timeoutMs);
    outgoing.on('response', (response) => {
      settle(outcome(response.statusCode ?? null, null));
      let receivedBytes = 0;
      response.on('data', (chunk: Buffer) => {
        receivedBytes += chunk.length;
        if (receivedBytes > webhookLimits.responseBodyReadMaxBytes) response.destroy();
      });
      response.on('close', () => clearTimeout(deadline));
      response.on('error', () => undefined);
    });
    outgoing.on('error', (error) => {
      clearTimeout(deadline);
      const refused = error.name === 'DestinationRefused';
      settle(outcome(null, refused ? `refused: ${reasonOf(error)}` : reasonOf(error)));
    });
    outgoing.end(request.body);
  });
}
