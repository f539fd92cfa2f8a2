import { ProbeGate, ProbeModule, probeGate } from './support/probe.module';
import { startTestApp, type TestApp, testAdminToken } from './support/test-app';
import { Database } from '../src/database/database';

function expectErrorShape(body: string, status: number, code: string): Record<string, unknown> {
  const parsed = JSON.parse(body) as { error: Record<string, unknown> };
  expect(Object.keys(parsed)).toEqual(['error']);
  expect(parsed.error).toEqual(
    expect.objectContaining({ type: expect.any(String), code, message: expect.any(String) }),
  );
  expect(body).not.toMatch(/\bat .+\.(ts|js):\d+/);
  expect(status).toBeGreaterThanOrEqual(400);
  return parsed.error;
}

describe('the service foundation on the real PostgreSQL, Redis and RabbitMQ', () => {
  let subject: TestApp;
  beforeAll(async () => {
    subject = await startTestApp({}, { imports: [ProbeModule] });
  });
  afterAll(async () => {
    await subject.close();
  });

  it('is ready when PostgreSQL, Redis and RabbitMQ all answer', async () => {
    const response = await subject.inject({ method: 'GET', url: '/health/ready' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'ok',
      info: { postgres: { status: 'up' }, redis: { status: 'up' }, rabbitmq: { status: 'up' } },
    });
  });

  it('answers live without looking at dependencies', async () => {
    const response = await subject.inject({ method: 'GET', url: '/health/live' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it("warns once at start exactly when PostgreSQL's autovacuum is off (a setting of the server, not of a test)", async () => {
    const { rows } = await subject.app.get(Database).pool.query<{ autovacuum: string }>('SHOW autovacuum');
    const warnings = subject.logs
      .records()
      .filter((record) => typeof record.msg === 'string' && record.msg.includes("PostgreSQL's autovacuum is off"));
    expect(warnings).toHaveLength(rows[0]?.autovacuum === 'off' ? 1 : 0);
    for (const warning of warnings) expect(warning).toMatchObject({ level: 40, context: 'DatabaseModule' });
  });

  it('gives every response a Request-Id, and keeps a sane caller-supplied one', async () => {
    const generated = await subject.inject({ method: 'GET', url: '/health/live' });
    expect(generated.headers['request-id']).toMatch(/^req_[0-9A-Za-z]{24}$/);
    const supplied = await subject.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'request-id': 'caller-trace-0001' },
    });
    expect(supplied.headers['request-id']).toBe('caller-trace-0001');
    const forged = await subject.inject({ method: 'GET', url: '/health/live', headers: { 'request-id': 'x\u0001y' } });
    expect(forged.headers['request-id']).toMatch(/^req_/);
  });

  it('answers an unknown route with 404 resource_missing', async () => {
    const response = await subject.inject({ method: 'GET', url: '/v1/nothing-here' });
    expect(response.statusCode).toBe(404);
    const error = expectErrorShape(response.body, response.statusCode, 'resource_missing');
    expect(error.type).toBe('invalid_request_error');
  });

  it('answers malformed JSON with 400 body_malformed', async () => {
    const response = await subject.inject({
      method: 'POST',
      url: '/probe/validated',
      headers: { 'content-type': 'application/json' },
      payload: '{"amount": 12,',
    });
    expect(response.statusCode).toBe(400);
    expectErrorShape(response.body, response.statusCode, 'body_malformed');
  });

  it('answers a body over 64 KiB with 413 body_too_large', async () => {
    const response = await subject.inject({
      method: 'POST',
      url: '/probe/validated',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ amount: 1, padding: 'x'.repeat(64 * 1024) }),
    });
    expect(response.statusCode).toBe(413);
    expectErrorShape(response.body, response.statusCode, 'body_too_large');
  });

  it('answers a body that is not JSON with 415', async () => {
    for (const contentType of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const response = await subject.inject({
        method: 'POST',
        url: '/probe/validated',
        headers: { 'content-type': contentType },
        payload: 'amount=1',
      });
      expect(response.statusCode).toBe(415);
      expectErrorShape(response.body, response.statusCode, 'content_type_unsupported');
    }
  });

  it('answers validation failures with 400 naming the parameter', async () => {
    const cases: { payload: unknown; code: string; param: string }[] = [
      { payload: {}, code: 'parameter_missing', param: 'amount' },
      { payload: { amount: 'ten' }, code: 'parameter_invalid', param: 'amount' },
      { payload: { amount: 10.5 }, code: 'parameter_invalid', param: 'amount' },
      { payload: { amount: 10, status: 'succeeded' }, code: 'parameter_unknown', param: 'status' },
      { payload: { amount: 10, nested: { name: '' } }, code: 'parameter_invalid', param: 'nested.name' },
      { payload: { amount: 10, nested: { name: 'a', extra: 1 } }, code: 'parameter_unknown', param: 'nested.extra' },
    ];
    for (const { payload, code, param } of cases) {
      const response = await subject.inject({ method: 'POST', url: '/probe/validated', payload: payload as object });
      expect(response.statusCode).toBe(400);
      const error = expectErrorShape(response.body, response.statusCode, code);
      expect(error.param).toBe(param);
    }
    const valid = await subject.inject({ method: 'POST', url: '/probe/validated', payload: { amount: 10 } });
    expect(valid.statusCode).toBe(201);
  });

  it('answers an unexpected failure with 500 api_error and no internals', async () => {
    const response = await subject.inject({ method: 'GET', url: '/probe/crash' });
    expect(response.statusCode).toBe(500);
    const error = expectErrorShape(response.body, response.statusCode, 'api_error');
    expect(error.type).toBe('api_error');
    expect(response.body).not.toContain('hunter2');
    expect(response.body).not.toContain('merchants');
  });

  it('writes one JSON log line per request with id, method, route, status and latency, redacting secrets', async () => {
    const response = await subject.inject({
      method: 'GET',
      url: '/health/live?x=1',
      headers: { authorization: 'Bearer sk_test_must_not_be_logged', 'x-admin-token': 'admin-secret-not-logged' },
    });
    const requestId = response.headers['request-id'];
    const lines = subject.logs.records().filter((record) => record.request_id === requestId);
    const completed = lines.filter((record) => record.msg === 'request completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ method: 'GET', route: '/health/live', status: 200 });
    expect(typeof completed[0]?.latency_ms).toBe('number');
    expect(subject.logs.text()).not.toContain('sk_test_must_not_be_logged');
    expect(subject.logs.text()).not.toContain('admin-secret-not-logged');
  });

  it('logs an unexpected failure with its request id', async () => {
    const response = await subject.inject({ method: 'GET', url: '/probe/crash' });
    const requestId = response.headers['request-id'];
    const errorLines = subject.logs
      .records()
      .filter((record) => record.request_id === requestId && record.level === 50);
    expect(errorLines.length).toBeGreaterThanOrEqual(1);
  });

  it('serves the OpenAPI document and the Swagger UI', async () => {
    const document = await subject.inject({ method: 'GET', url: '/docs-json' });
    expect(document.statusCode).toBe(200);
    const body = document.json<{ openapi: string; components: { securitySchemes: object; schemas: object } }>();
    expect(body.openapi).toMatch(/^3\./);
    expect(Object.keys(body.components.securitySchemes)).toEqual(expect.arrayContaining(['secret_key', 'admin_token']));
    expect(body.components.schemas).toHaveProperty('Error');
    const ui = await subject.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });
});

describe('graceful shutdown', () => {
  it('finishes an in-flight request before the server closes', async () => {
    const subject = await startTestApp({}, { imports: [ProbeModule] });
    await subject.app.listen(0, '127.0.0.1');
    const address = subject.app.getHttpServer().address() as { port: number };
    probeGate.current = new ProbeGate();
    const inFlight = fetch(`http://127.0.0.1:${address.port}/probe/slow`);
    await probeGate.current.entered;
    const closing = subject.close();
    probeGate.current.open();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ finished: true });
    await closing;
  });
});

describe('readiness when a dependency is down', () => {
  let subject: TestApp;
  beforeAll(async () => {
    // Port 1 on loopback: nothing listens there, so Redis is unreachable while PostgreSQL and RabbitMQ answer.
    subject = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1', HEALTH_CHECK_TIMEOUT_MS: '500' });
  });
  afterAll(async () => {
    await subject.close();
  });

  it('is 503 naming redis, while live stays 200', async () => {
    const ready = await subject.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    const body = ready.json<{ error: { code: string; message: string }; down: Record<string, unknown> }>();
    expect(Object.keys(body.down)).toEqual(['redis']);
    expect(body.error.code).toBe('service_unavailable');
    expect(body.error.message).toContain('redis');
    expect(ready.headers['retry-after']).toBeDefined();
    const live = await subject.inject({ method: 'GET', url: '/health/live' });
    expect(live.statusCode).toBe(200);
  });
});

describe('metrics', () => {
  let subject: TestApp;
  beforeAll(async () => {
    subject = await startTestApp();
  });
  afterAll(async () => {
    await subject.close();
  });

  it('serves Prometheus text with HTTP latency, queue depths, cache counters and the ledger proof', async () => {
    await subject.inject({ method: 'GET', url: '/health/live' });
    await subject.inject({
      method: 'GET',
      url: '/v1/admin/ledger/verify',
      headers: { 'x-admin-token': testAdminToken },
    });
    const response = await subject.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/health\/live",status="200"\} 1/,
    );
    expect(response.body).toMatch(/queue_jobs\{queue="payments",state="waiting"\} \d+/);
    expect(response.body).toMatch(/queue_jobs\{queue="maintenance",state="completed"\} \d+/);
    expect(response.body).toContain('cache_hits_total');
    expect(response.body).toMatch(/ledger_balanced 1/);
    expect(response.body).toMatch(/ledger_mismatches 0/);
    expect(response.body).toContain('process_cpu_seconds_total');
  });
});
