import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { declareQueue } from './support/events-rabbitmq';
import { dropDatabase, postgresServerUrl, uniqueDatabaseName } from './support/test-database';
import { newTestNamespace } from './support/test-names';

// These tests run the built entry point (npm test builds first), exactly as `npm start` does.
const mainPath = path.resolve(__dirname, '..', 'dist', 'main.js');
const processDeadlineMs = 20_000;

function run(environment: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [mainPath], {
    env: { PATH: process.env.PATH ?? '', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process did not exit within ${processDeadlineMs} ms; stderr: ${stderr}`));
    }, processDeadlineMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function pollUntilReady(url: string): Promise<Response> {
  const deadline = Date.now() + processDeadlineMs;
  for (;;) {
    try {
      const response = await fetch(url);
      if (response.status === 200) return response;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready within ${processDeadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the built service as a process', () => {
  beforeAll(() => {
    if (!existsSync(mainPath)) throw new Error(`${mainPath} is missing: run npm run build (npm test does)`);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://nowhere' }, 'DATABASE_URL'],
    [{ NODE_ENV: 'production' }, 'ADMIN_TOKEN'],
    [{ NODE_ENV: 'production', ADMIN_TOKEN: 'too-short' }, 'ADMIN_TOKEN'],
  ])('refuses to start on %j with one line naming %s', async (environment, variable) => {
    const result = await exitOf(run(environment));
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(variable);
  });

  it('refuses to start on a classic subscriber queue where RABBITMQ_QUEUE_TYPE=quorum, in one line saying what to do', async () => {
    const databaseName = uniqueDatabaseName();
    const names = newTestNamespace();
    try {
      await declareQueue(names.webhookEventsQueue, { durable: true });
      const result = await exitOf(
        run({
          APP_ROLE: 'worker',
          PORT: String(await freePort()),
          HOST: '127.0.0.1',
          DATABASE_URL: `${postgresServerUrl}/${databaseName}`,
          RABBITMQ_QUEUE_TYPE: 'quorum',
          ...names.environment,
        }),
      );
      expect(result.code).toBe(1);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^RabbitMQ refused to declare the subscriber queue ${names.webhookEventsQueue.replaceAll('.', '\\.')} as a durable quorum queue`,
        ),
      );
      expect(lines[0]).toContain('it already exists as a classic queue');
      expect(lines[0]).toContain('migrate the queue');
      expect(lines[0]).toContain('WEBHOOK_EVENTS_QUEUE');
    } finally {
      await names.remove();
      await dropDatabase(databaseName);
    }
  });

  it('starts with a fresh database, answers ready, and stops cleanly on SIGTERM', async () => {
    const databaseName = uniqueDatabaseName();
    const port = await freePort();
    // Its own queue prefix and RabbitMQ names: the defaults are those of a real deployment on this machine.
    const names = newTestNamespace();
    const child = run({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: `${postgresServerUrl}/${databaseName}`,
      ...names.environment,
    });
    const exited = exitOf(child);
    try {
      const ready = await pollUntilReady(`http://127.0.0.1:${port}/health/ready`);
      expect(await ready.json()).toMatchObject({ status: 'ok' });
      child.kill('SIGTERM');
      const result = await exited;
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('"msg":"Nest application successfully started"');
    } finally {
      child.kill('SIGKILL');
      await exited.catch(() => undefined);
      await names.remove();
      await dropDatabase(databaseName);
    }
  });
});
