import { createPaymentsClient, idempotencyKeyHeader } from '../src';

/** A fetch that records each request and answers `answer`. */
function recordingFetch(answer: () => Response) {
  const requests: Request[] = [];
  const fetch = (request: Request): Promise<Response> => {
    requests.push(request);
    return Promise.resolve(answer());
  };
  return { requests, fetch };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('createPaymentsClient', () => {
  it('sends the API key as a bearer token, the path parameters in the URL and answers the data', async () => {
    const { requests, fetch } = recordingFetch(() => json(200, { id: 'pay_1', object: 'payment' }));
    const client = createPaymentsClient({ baseUrl: 'https://payments.example/', apiKey: 'sk_test_abc', fetch });

    const { data, error, response } = await client.GET('/v1/payments/{id}', { params: { path: { id: 'pay_1' } } });

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.method).toBe('GET');
    expect(request!.url).toBe('https://payments.example/v1/payments/pay_1');
    expect(request!.headers.get('authorization')).toBe('Bearer sk_test_abc');
    expect(request!.headers.get('x-admin-token')).toBeNull();
    expect(response.status).toBe(200);
    expect(data).toEqual({ id: 'pay_1', object: 'payment' });
    expect(error).toBeUndefined();
  });

  it('sends a POST body as JSON with its Idempotency-Key', async () => {
    const { requests, fetch } = recordingFetch(() => json(202, { id: 'pay_1', status: 'processing' }));
    const client = createPaymentsClient({ baseUrl: 'https://payments.example', apiKey: 'sk_test_abc', fetch });
    const body = {
      amount: 1099,
      currency: 'usd',
      payment_method: {
        type: 'card' as const,
        card: { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123' },
      },
    };

    await client.POST('/v1/payments', { params: { header: idempotencyKeyHeader('order-42') }, body });

    const [request] = requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('https://payments.example/v1/payments');
    expect(request!.headers.get('idempotency-key')).toBe('order-42');
    expect(request!.headers.get('content-type')).toBe('application/json');
    expect(await request!.json()).toEqual(body);
  });

  it('makes a new random Idempotency-Key when none is given', () => {
    const first = idempotencyKeyHeader()['Idempotency-Key'];
    const second = idempotencyKeyHeader()['Idempotency-Key'];
    expect(first).toMatch(/^[0-9a-f-]{36}$/);
    expect(second).not.toBe(first);
  });

  it("sends the operator's token on admin routes, and query parameters", async () => {
    const { requests, fetch } = recordingFetch(() => json(200, { object: 'list', data: [], has_more: false }));
    const client = createPaymentsClient({ baseUrl: 'https://payments.example', adminToken: 'admin-secret', fetch });

    await client.GET('/v1/admin/merchants/{id}/api_keys', { params: { path: { id: 'mer_1' }, query: { limit: 2 } } });

    const [request] = requests;
    expect(request!.url).toBe('https://payments.example/v1/admin/merchants/mer_1/api_keys?limit=2');
    expect(request!.headers.get('x-admin-token')).toBe('admin-secret');
    expect(request!.headers.get('authorization')).toBeNull();
  });

  it('answers an API error as `error`, not as data, and does not throw', async () => {
    const apiError = { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such payment' } };
    const { fetch } = recordingFetch(() => json(404, apiError));
    const client = createPaymentsClient({ baseUrl: 'https://payments.example', apiKey: 'sk_test_abc', fetch });

    const { data, error, response } = await client.GET('/v1/payments/{id}', { params: { path: { id: 'pay_x' } } });

    expect(response.status).toBe(404);
    expect(data).toBeUndefined();
    expect(error).toEqual(apiError);
  });
});
