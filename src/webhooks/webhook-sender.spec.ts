import { createServer, type Server } from 'node:http';
import { sendWebhook, type WebhookRequest } from './webhook-sender';

interface Seen {
  path: string;
  body: string;
  signature: string | undefined;
}

describe('sendWebhook', () => {
  let server: Server;
  let port: number;
  const seen: Seen[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        seen.push({
          path,
          body: Buffer.concat(chunks).toString(),
          signature: request.headers['payments-signature'] as string | undefined,
        });
        if (path === '/hang') return;
        if (path === '/redirect') {
          response.writeHead(302, { location: `http://127.0.0.1:${port}/elsewhere` }).end();
          return;
        }
        if (path === '/big') {
          response.writeHead(200);
          response.end(Buffer.alloc(1024 * 1024, 'x'));
          return;
        }
        response.writeHead(Number(path.slice(1)) || 200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
  });

  const request = (path: string, overrides: Partial<WebhookRequest> = {}): WebhookRequest => ({
    url: `http://127.0.0.1:${port}${path}`,
    body: '{"id":"evt_1"}',
    signatureHeader: 't=1,v1=abc',
    timeoutMs: 1_000,
    production: false,
    ...overrides,
  });

  it('POSTs the body and the signature header as given, and succeeds on 2xx', async () => {
    for (const status of [200, 201, 204, 299]) {
      expect(await sendWebhook(request(`/${status}`))).toMatchObject({
        statusCode: status,
        error: null,
        succeeded: true,
      });
    }
    expect(seen[0]).toEqual({ path: '/200', body: '{"id":"evt_1"}', signature: 't=1,v1=abc' });
  });

  it.each([301, 400, 404, 500, 503])('fails on %i', async (status) => {
    expect(await sendWebhook(request(`/${status}`))).toMatchObject({ statusCode: status, succeeded: false });
  });

  it('does not follow a redirect', async () => {
    expect(await sendWebhook(request('/redirect'))).toMatchObject({ statusCode: 302, succeeded: false });
    expect(seen.map((request) => request.path)).toEqual(['/redirect']);
  });

  it('reads past a large answer without keeping it', async () => {
    expect(await sendWebhook(request('/big'))).toMatchObject({ statusCode: 200, succeeded: true });
  });

  it('gives up at the deadline', async () => {
    const attempt = await sendWebhook(request('/hang', { timeoutMs: 200 }));
    expect(attempt).toMatchObject({ statusCode: null, succeeded: false, error: 'timeout: no answer within 200 ms' });
    expect(attempt.durationMs).toBeGreaterThanOrEqual(199);
    expect(attempt.durationMs).toBeLessThan(1_000);
  });

  it('reports a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    const attempt = await sendWebhook(request('/', { url: `http://127.0.0.1:${closedPort}/` }));
    expect(attempt).toMatchObject({ statusCode: null, succeeded: false });
    expect(attempt.error).toMatch(/ECONNREFUSED/);
  });

  it('refuses, without connecting, what production does not allow', async () => {
    for (const url of [`http://127.0.0.1:${port}/200`, `https://127.0.0.1:${port}/200`, 'https://localhost/']) {
      const attempt = await sendWebhook(request('/', { url, production: true }));
      expect(attempt).toMatchObject({ statusCode: null, succeeded: false });
      expect(attempt.error).toMatch(/^refused: the URL must/);
    }
    expect(seen).toEqual([]);
  });
});
