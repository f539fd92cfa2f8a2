import type { paths } from '../../packages/client/src';
import type { WebhookDeliveryObject } from '../../src/webhooks/webhook-endpoint.presenter';
import type { Merchant } from './api';
import { clientAs } from './api';
import { injectedResponse } from './inject-fetch';
import type { TestApp } from './test-app';

export interface EndpointBody {
  id: string;
  object: 'webhook_endpoint';
  url: string;
  enabled_events: string[];
  status: string;
  created_at: string;
  secret?: string;
}

export type DeliveryBody = WebhookDeliveryObject;

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
): Promise<EndpointBody & { secret: string }> {
  const response = await postEndpoint(subject, merchant, { url, enabled_events: enabledEvents });
  if (response.statusCode !== 201) throw new Error(`endpoint creation failed: ${response.statusCode} ${response.body}`);
  return response.json<EndpointBody & { secret: string }>();
}

export async function deliveriesOf(subject: TestApp, merchant: Merchant, endpointId: string): Promise<DeliveryBody[]> {
  const { response: sent } = await clientAs(subject, merchant).GET('/v1/webhook_endpoints/{id}/deliveries', {
    params: { path: { id: endpointId }, query: { limit: 100 } },
  });
  const response = injectedResponse(sent);
  if (response.statusCode !== 200) throw new Error(`deliveries: ${response.statusCode} ${response.body}`);
  return response.json<{ data: DeliveryBody[] }>().data;
}
