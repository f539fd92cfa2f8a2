import { connect } from 'node:net';
import { Queue } from 'bullmq';
import { eventually } from './support/api';
import { startTestApp, type TestApp, testAdminToken } from './support/test-app';
import { MAINTENANCE_QUEUE } from '../src/maintenance/maintenance.constants';
import { PAYMENTS_QUEUE } from '../src/payments/payments.constants';
import { WEBHOOKS_QUEUE } from '../src/webhooks/webhooks.constants';

const dashboardAuth = `Basic ${Buffer.from(`admin:${testAdminToken}`).toString('base64')}`;
const rawResponseDeadlineMs = 10_000;

interface RawResponse {
  status: number;
  headers: string;
  body: string;
}

/**
 * One HTTP/1.1 request written byte for byte on a socket, so the target reaches the server exactly as spelled
 * (app.inject and fetch normalize `//`, `/./`, `/../`, `#` and absolute URLs before sending).
 */
function rawRequest(port: number, target: string, { method = 'GET', authorization = '' } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response to ${method} ${target} within ${rawResponseDeadlineMs} ms`));
    }, rawResponseDeadlineMs);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const headerEnd = text.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, headers: text.slice(0, headerEnd), body: text.slice(headerEnd + 4) });
    });
    const authorizationLine = authorization ? `Authorization: ${authorization}\r\n` : '';
    // write, not end: the server drops a half-closed connection before a slow handler answers.
    socket.write(`${method} ${target} HTTP/1.1\r\nHost: localhost\r\n${authorizationLine}Connection: close\r\n\r\n`);
  });
}

// What Bull Board's API answers and only it: the registered queue names inside a JSON list of queues.
function revealsQueues(body: string): boolean {
  return [PAYMENTS_QUEUE, WEBHOOKS_QUEUE, MAINTENANCE_QUEUE].some((name) => body.includes(`"${name}"`));
}

/**
 * Spellings of the dashboard's API and page that the router matches to a Bull Board route. Each must be refused
 * without credentials; the old guard compared `request.url` with `/admin/queues` and let them through.
 */
const routedSpellings = [
  '/admin/%71ueues/api/queues',
  '/%61dmin/queues/api/queues',
  '/admin/queue%73/api/queues',
  '/admin/queues/%61pi/queues',
  '/admin/queues/api/%71ueues',
  '/%61%64%6d%69%6e/%71%75%65%75%65%73/%61%70%69/%71%75%65%75%65%73',
  '/ad%6Din/queues/api/queues',
  '/admin/queues#/api/queues',
  '/admin/queues#',
  '/admin/queues/api/queues#',
  '/admin/queues/api/queues?',
  '/admin/queues/api/queues?#',
  '/admin/%71ueues',
  '/admin/%71ueues/',
  '/%61dmin/queues/queue/payments',
  '/admin/%71ueues/static/../api/queues',
  '/admin/queues/static/..%2fapi/queues',
];

// Targets that are not origin-form: refused with 400 for the whole server before anything else looks at them.
const absoluteFormSpellings = [
  'http://x/admin/queues/api/queues',
  'HTTP://x/admin/queues/api/queues',
  'https://x/admin/queues/api/queues',
  'http://x/%61dmin/queues/api/queues',
  'http://x/admin/queues',
  'http://localhost/admin/queues/api/queues?activeQueue=payments',
];

/**
 * Spellings the router does not match to any route (Fastify here: case-sensitive, no duplicate-slash or
 * trailing-slash folding, `;` not a delimiter, `%2F` and `%2E` kept encoded, no dot-segment removal). They get the
 * API's 404, so they never reach Bull Board either; if a router option changes and one starts to match, it must
 * get 401 instead.
 */
const unroutedSpellings = [
  '//admin/queues/api/queues',
  '/admin//queues/api/queues',
  '/admin/queues//api/queues',
  '/admin/queues/api//queues',
  '/admin/queues/api/queues/',
  '/./admin/queues/api/queues',
  '/admin/./queues/api/queues',
  '/admin/queues/./api/queues',
  '/x/../admin/queues/api/queues',
  '/admin/x/../queues/api/queues',
  '/admin%2Fqueues/api/queues',
  '/admin%2fqueues/api/queues',
  '/admin/queues%2Fapi%2Fqueues',
  '/%2e/admin/queues/api/queues',
  '/admin/%2e%2e/admin/queues/api/queues',
  '/Admin/Queues/api/queues',
  '/ADMIN/QUEUES/API/QUEUES',
  '/admin/queues/api/queues;',
  '/admin/queues;/api/queues',
  '/admin;x/queues/api/queues',
  '/admin/queues\\api\\queues',
  '/admin/queues%23/api/queues',
  '/admin/queues%3F/api/queues',
];

describe('dashboard authentication on what is routed', () => {
  let subject: TestApp;
  let port: number;
  let probeQueue: Queue;

  beforeAll(async () => {
    // Dozens of refused spellings from one address: the failure limit (tested below) would answer 429 instead.
    subject = await startTestApp({ AUTH_FAILURES_PER_SECOND_PER_IP: '0' });
    await subject.app.listen(0, '127.0.0.1');
    port = (subject.app.getHttpServer().address() as { port: number }).port;
    probeQueue = new Queue(MAINTENANCE_QUEUE, {
      connection: { url: subject.config.redis.url },
      prefix: subject.config.redis.queuePrefix,
    });
  });
  afterAll(async () => {
    await probeQueue.close();
    await subject.close();
  });

  it('shows the queues to the right credentials (the API the attacks aim at)', async () => {
    const response = await rawRequest(port, '/admin/queues/api/queues', { authorization: dashboardAuth });
    expect(response.status).toBe(200);
    expect(revealsQueues(response.body)).toBe(true);
  });

  it.each(routedSpellings)('refuses %s without credentials with 401 and a Basic challenge', async (target) => {
    for (const method of ['GET', 'HEAD']) {
      const response = await rawRequest(port, target, { method });
      expect(response.status).toBe(401);
      expect(response.headers).toMatch(/\r\nWWW-Authenticate: Basic realm="queues"/i);
      expect(revealsQueues(response.body)).toBe(false);
    }
    const wrong = await rawRequest(port, target, {
      authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}`,
    });
    expect(wrong.status).toBe(401);
  });

  it.each(absoluteFormSpellings)('refuses the absolute-form target %s with 400', async (target) => {
    for (const authorization of ['', dashboardAuth]) {
      const response = await rawRequest(port, target, { authorization });
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body)).toEqual({
        error: { type: 'invalid_request_error', code: 'request_target_invalid', message: expect.any(String) },
      });
    }
  });

  it.each(unroutedSpellings)('never lets %s reach Bull Board (401, or 404 when nothing is routed)', async (target) => {
    const response = await rawRequest(port, target);
    expect([401, 404]).toContain(response.status);
    expect(revealsQueues(response.body)).toBe(false);
  });

  it('refuses the spellings through app.inject as well', async () => {
    for (const url of ['/admin/%71ueues/api/queues', '/%61dmin/queues/api/queues', '/admin/queues/api/queues']) {
      const response = await subject.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Basic/);
      expect(revealsQueues(response.body)).toBe(false);
    }
  });

  it('serves a weird but routable spelling only to the right credentials', async () => {
    const anonymous = await rawRequest(port, '/%61dmin/%71ueues/api/queues');
    expect(anonymous.status).toBe(401);
    const authenticated = await rawRequest(port, '/%61dmin/%71ueues/api/queues', { authorization: dashboardAuth });
    expect(authenticated.status).toBe(200);
    expect(revealsQueues(authenticated.body)).toBe(true);
  });

  it('answers 404 to an unknown path beside the dashboard without reaching it', async () => {
    const response = await subject.inject({ method: 'GET', url: '/admin/queuesx/api/queues' });
    expect(response.statusCode).toBe(404);
    expect(revealsQueues(response.body)).toBe(false);
  });

  it('is read-only even with credentials: pause, empty, clean, add, promote and pause-all are refused', async () => {
    const waiting = await probeQueue.add('probe-waiting', {}, { jobId: 'probe-waiting', delay: 3_600_000 });
    const base = `/admin/queues/api/queues/${MAINTENANCE_QUEUE}`;
    const refused = [
      { method: 'PUT' as const, url: `${base}/pause` },
      { method: 'PUT' as const, url: `${base}/empty` },
      { method: 'PUT' as const, url: `${base}/clean/delayed` },
      { method: 'PUT' as const, url: `${base}/obliterate` },
      { method: 'PUT' as const, url: `${base}/promote` },
      { method: 'PUT' as const, url: `${base}/${waiting.id}/promote` },
      { method: 'PUT' as const, url: `${base}/${waiting.id}/clean` },
      { method: 'POST' as const, url: `${base}/add`, payload: { name: 'injected', data: {} } },
      { method: 'PUT' as const, url: '/admin/queues/api/queues/pause' },
      { method: 'PUT' as const, url: `${base}/retry/completed` },
    ];
    for (const request of refused) {
      const response = await subject.inject({ ...request, headers: { authorization: dashboardAuth } });
      expect({ ...request, status: response.statusCode }).toEqual({ ...request, status: 405 });
    }
    expect(await probeQueue.isPaused()).toBe(false);
    expect(await (await probeQueue.getJob('probe-waiting'))?.getState()).toBe('delayed');
    expect(await probeQueue.getJobs(['waiting', 'active', 'completed', 'failed'])).not.toContainEqual(
      expect.objectContaining({ name: 'injected' }),
    );
    await probeQueue.remove('probe-waiting');
  });

  it('retries a failed job with credentials, and refuses to retry a completed one', async () => {
    // The maintenance worker fails a job name it does not know, so this job lands in the failed set.
    const failing = await probeQueue.add('probe-unknown-job', {}, { jobId: 'probe-failing', attempts: 1 });
    const failedRunsAfter = (runs: number) => async () => {
      const job = await probeQueue.getJob(failing.id!);
      return { state: await job?.getState(), runs: job?.attemptsStarted ?? 0, wanted: runs };
    };
    const isFailedAfterRuns = (job: { state?: string; runs: number; wanted: number }) =>
      job.state === 'failed' && job.runs >= job.wanted;
    await eventually(failedRunsAfter(1), isFailedAfterRuns, { what: 'the probe job failing' });
    const retryUrl = `/admin/queues/api/queues/${MAINTENANCE_QUEUE}/${failing.id}/retry`;

    const anonymous = await rawRequest(port, retryUrl.replace('/admin/queues', '/admin/%71ueues'), { method: 'PUT' });
    expect(anonymous.status).toBe(401);
    const retried = await subject.inject({ method: 'PUT', url: retryUrl, headers: { authorization: dashboardAuth } });
    expect(retried.statusCode).toBe(204);
    await eventually(failedRunsAfter(2), isFailedAfterRuns, { what: 'the retried probe job running again' });
    const retriedAll = await subject.inject({
      method: 'PUT',
      url: `/admin/queues/api/queues/${MAINTENANCE_QUEUE}/retry/failed`,
      headers: { authorization: dashboardAuth },
    });
    expect(retriedAll.statusCode).toBe(200);
    expect(retriedAll.json<{ retried: number }>().retried).toBeGreaterThanOrEqual(1);
    await eventually(failedRunsAfter(3), isFailedAfterRuns, { what: 'the probe job running a third time' });

    const completing = await probeQueue.add('sweep-idempotency-keys', {}, { jobId: 'probe-completing' });
    await eventually(
      async () => probeQueue.getJob(completing.id!).then((job) => job?.getState()),
      (state) => state === 'completed',
      { what: 'the sweep job completing' },
    );
    const retryCompleted = await subject.inject({
      method: 'PUT',
      url: `/admin/queues/api/queues/${MAINTENANCE_QUEUE}/${completing.id}/retry`,
      headers: { authorization: dashboardAuth },
    });
    expect(retryCompleted.statusCode).toBe(405);
    expect(await (await probeQueue.getJob(completing.id!))?.getState()).toBe('completed');
  });
});

describe('dashboard logins under the limit of failed authentications per address', () => {
  let subject: TestApp;
  let port: number;
  const failuresPerSecond = 3;

  beforeAll(async () => {
    subject = await startTestApp({ AUTH_FAILURES_PER_SECOND_PER_IP: String(failuresPerSecond) });
    await subject.app.listen(0, '127.0.0.1');
    port = (subject.app.getHttpServer().address() as { port: number }).port;
  });
  afterAll(async () => {
    await subject.close();
  });

  it('answers 429 with Retry-After once an address has guessed too often, even to the right password', async () => {
    const wrong = `Basic ${Buffer.from('admin:guess').toString('base64')}`;
    const statuses: number[] = [];
    // GCRA lets a burst of the allowance through; a few more than that must be refused.
    for (let attempt = 0; attempt < failuresPerSecond * 3; attempt += 1) {
      statuses.push((await rawRequest(port, '/admin/queues/api/queues', { authorization: wrong })).status);
    }
    expect(statuses.slice(0, failuresPerSecond)).toEqual(Array(failuresPerSecond).fill(401));
    expect(statuses).toContain(429);
    expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);

    const refused = await rawRequest(port, '/admin/queues/api/queues', { authorization: dashboardAuth });
    expect(refused.status).toBe(429);
    expect(refused.headers).toMatch(/\r\nretry-after: [1-9][0-9]*\r\n/i);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limited' } });
    expect(revealsQueues(refused.body)).toBe(false);

    // The limit's wait ends: the right password is let in again.
    const admitted = await eventually(
      () => rawRequest(port, '/admin/queues/api/queues', { authorization: dashboardAuth }),
      (response) => response.status !== 429,
      { what: 'the address being let in again' },
    );
    expect(admitted.status).toBe(200);
  });
});
