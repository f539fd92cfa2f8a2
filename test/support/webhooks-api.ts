import type { WebhookDeliveryObject } from '../../src/webhooks/webhook-endpoint.presenter';
import type { Merchant } from './api';
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

export function postEndpoint(
  subject: TestApp,
  merchant: Merchant,
  payload: object,
  headers: Record<string, string> = {},
) {
  return subject.inject({
    method: 'POST',
    url: '/v1/webhook_endpoints',
    headers: { ...merchant.headers, ...headers },
    payload,
  });
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
  const response = await subject.inject({
    method: 'GET',
    url: `/v1/webhook_endpoints/${endpointId}/deliveries?limit=100`,
    headers: merchant.headers,
  });
  if (response.statusCode !== 200) throw new Error(`deliveries: ${response.statusCode} ${response.body}`);
  return response.json<{ data: DeliveryBody[] }>().data;
}
