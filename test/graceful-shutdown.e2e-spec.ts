import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { sql } from 'drizzle-orm';
import { createApp } from '../src/app.factory';
import { parseConfig } from '../src/config/config.schema';
import { Database } from '../src/database/database';
import { ShutdownGate } from '../src/http/graceful-shutdown';
import { LogCapture } from './support/log-capture';
import { dropDatabase, postgresServerUrl, uniqueDatabaseName } from './support/test-database';
import { testAdminToken } from './support/test-app';
import { newTestNamespace } from './support/test-names';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Splits what a server wrote on one connection into its responses (each with a Content-Length). */
function parseResponses(raw: string): RawResponse[] {
  const responses: RawResponse[] = [];
  let rest = raw;
  while (rest.length > 0) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) break;
    const [statusLine = '', ...headerLines] = rest.slice(0, headEnd).split('\r\n');
    const headers = Object.fromEntries(
      headerLines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
      }),
    );
    const length = Number(headers['content-length'] ?? 0);
    const bodyStart = headEnd + 4;
    responses.push({
      status: Number(statusLine.split(' ')[1]),
      headers,
      body: rest.slice(bodyStart, bodyStart + length),
    });
    rest = rest.slice(bodyStart + length);
  }
  return responses;
}

function get(socket: Socket, path: string): void {
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
}

describe('graceful shutdown', () => {
  const databaseName = uniqueDatabaseName();
  const names = newTestNamespace();
  const config = parseConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    ADMIN_TOKEN: testAdminToken,
    DATABASE_URL: `${postgresServerUrl}/${databaseName}`,
    ...names.environment,
    RATE_LIMIT_PER_SECOND: '0',
  });
  let app: NestFastifyApplication | undefined;
  let gate: ShutdownGate;
  let closing: Promise<void> | undefined;
  // A route of the test's own that holds its request until the test lets it go, then asks PostgreSQL.
  let entered: () => void = () => undefined;
  let release: () => void = () => undefined;
  const slowEntered = new Promise<void>((resolve) => (entered = resolve));
  const slowReleased = new Promise<void>((resolve) => (release = resolve));
  let fastifyClosing: () => void = () => undefined;
  const fastifyClosingStarted = new Promise<void>((resolve) => (fastifyClosing = resolve));

  beforeAll(async () => {
    app = await createApp(config, { logStream: new LogCapture() });
    const fastify = app.getHttpAdapter().getInstance();
    gate = new ShutdownGate().install(fastify);
    fastify.get('/test/slow', async () => {
      entered();
      await slowReleased;
      const result = await app!.get(Database).db.execute<{ answer: number }>(sql`SELECT 42 AS answer`);
      return { answer: result.rows[0]!.answer };
    });
    // Fastify runs preClose once it is closing (it refuses, or routes, what arrives from now on) and before the
    // HTTP server stops: the moment Fastify's own 503 used to be sent.
    fastify.addHook('preClose', (done) => {
      fastifyClosing();
      done();
    });
    await app.init();
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    release();
    await (closing ?? app?.close())?.catch(() => undefined);
    await names.remove();
    await dropDatabase(databaseName);
  });

  it('finishes the request in flight on a live database and refuses a later one with a well-formed 503', async () => {
    const port = (app!.getHttpServer().address() as AddressInfo).port;
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    const socketClosed = once(socket, 'close');

    get(socket, '/test/slow');
    await slowEntered;
    closing = gate.close(app!);
    await fastifyClosingStarted;
    // Behind the request in flight, on its connection (which the server cannot drop as idle): routed while
    // Fastify closes.
    get(socket, '/health/live');
    release();
    await closing;
    await socketClosed;

    const [inFlight, later, ...more] = parseResponses(received);
    expect(inFlight?.status).toBe(200);
    expect(JSON.parse(inFlight!.body)).toEqual({ answer: 42 });
    expect(later?.status).toBe(503);
    expect(later?.headers['retry-after']).toBe('1');
    expect(later?.headers.connection).toBe('close');
    expect(JSON.parse(later!.body)).toEqual({
      error: { type: 'api_error', code: 'service_unavailable', message: expect.any(String) },
    });
    expect(more).toEqual([]);
  });
});
