import type { components, paths } from '../../packages/client/src';
import type { Merchant } from './api';
import { clientAs, dataOf } from './api';
import { injectedResponse } from './inject-fetch';
import type { TestApp } from './test-app';

/** A webhook endpoint as the API answers it; `secret` only in the creation's answer. */
export type EndpointBody = components['schemas']['WebhookEndpoint'] & { secret?: string };

export type DeliveryBody = components['schemas']['WebhookDelivery'];

type CreateEndpointBody = NonNullable<
  paths['/v1/webhook_endpoints']['post']['requestBody']
>['content']['application/json'];

/**
 * POST /v1/webhook_endpoints through the client, `headers` added (an Idempotency-Key); answers the inject response.
 * `payload` is untyped on purpose: tests send URLs and event lists the contract refuses.
 */
export async function postEndpoint(
  subject: TestApp,
  merchant: Merchant,
  payload: object,
  headers: Record<string, string> = {},
) {
  const { response } = await clientAs(subject, merchant).POST('/v1/webhook_endpoints', {
    body: payload as CreateEndpointBody,
    headers,
  });
  return injectedResponse(response);
}

/** Creates an endpoint and returns it with its secret (shown at creation only). */
export async function createEndpoint(
  subject: TestApp,
  merchant: Merchant,
  url: string,
  enabledEvents: string[] = ['*'],
): Promise<components['schemas']['WebhookEndpointCreated']> {
  const created = await clientAs(subject, merchant).POST('/v1/webhook_endpoints', {
    body: { url, enabled_events: enabledEvents },
  });
  return dataOf(created, 'endpoint creation failed');
}

export async function deliveriesOf(subject: TestApp, merchant: Merchant, endpointId: string): Promise<DeliveryBody[]> {
  const listed = await clientAs(subject, merchant).GET('/v1/webhook_endpoints/{id}/deliveries', {
    params: { path: { id: endpointId }, query: { limit: 100 } },
  });
  return dataOf(listed, 'deliveries').data;
}
