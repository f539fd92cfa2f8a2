// Worked example (issue #12, item 4): a queue a team adds is one declaration in its own module. The probe queue
// below is declared once (defineQueue) and mounted once (ProbeQueueModule.register); nothing else in the
// application names it, yet it gets its Redis queue, its dashboard entry, its depth on /metrics, its outbox topic
// relayed into jobs, and its processor in the roles that run workers only.
import { Processor } from '@nestjs/bullmq';
import { type DynamicModule, Module } from '@nestjs/common';
import { type Job, Queue } from 'bullmq';
import { AppConfig } from '../src/config/app-config';
import type { AppRole } from '../src/config/config.schema';
import { Database } from '../src/database/database';
import { OutboxService } from '../src/outbox/outbox.service';
import { defineQueue } from '../src/queueing/declared-queue';
import { GracefulWorkerHost } from '../src/queueing/graceful-worker-host';
import { eventually } from './support/api';
import { startTestApp, type TestApp, testAdminToken } from './support/test-app';
import { dropDatabase, postgresServerUrl, uniqueDatabaseName } from './support/test-database';
import { newTestNamespace } from './support/test-names';

// The constants a team keeps in its constants file.
const PROBE_QUEUE = 'probe-echo';
const ECHO_JOB = 'echo';
const ECHO_TOPIC = 'probe.echo';

interface EchoJobData {
  word: string;
}

/** Which process ran each job: shared by every app of this file, which all run in this test process. */
const ranJobs: { jobId: string | undefined; role: AppRole; word: string }[] = [];

@Processor(PROBE_QUEUE)
class EchoProcessor extends GracefulWorkerHost {
  constructor(private readonly config: AppConfig) {
    super();
  }

  process(job: Job<EchoJobData>): Promise<{ echoed: string }> {
    ranJobs.push({ jobId: job.id, role: this.config.role, word: job.data.word });
    return Promise.resolve({ echoed: job.data.word });
  }
}

// The declaration: the queue, its one kind of job with options read from the configuration, and the outbox topic
// whose rows become those jobs (jobId = outbox row id).
const probeQueue = defineQueue({
  name: PROBE_QUEUE,
  processor: EchoProcessor,
  jobs: {
    [ECHO_JOB]: (config) => ({
      attempts: 2,
      backoff: { type: 'fixed', delay: 10 },
      removeOnComplete: { count: 100 },
      removeOnFail: { count: config.deadLetterRetentionCount },
    }),
  },
  outboxTopics: {
    [ECHO_TOPIC]: { job: ECHO_JOB, data: (payload): EchoJobData => ({ word: String(payload.word) }) },
  },
});

@Module({})
class ProbeQueueModule {
  static register(role: AppRole): DynamicModule {
    return probeQueue.mount(role, { module: ProbeQueueModule });
  }
}

const dashboardAuth = `Basic ${Buffer.from(`admin:${testAdminToken}`).toString('base64')}`;

function startWithProbeQueue(environment: Record<string, string>): Promise<TestApp> {
  const role = (environment.APP_ROLE ?? 'all') as AppRole;
  return startTestApp(environment, { imports: [ProbeQueueModule.register(role)] });
}

function queueClient(subject: TestApp): Queue<EchoJobData> {
  return new Queue<EchoJobData>(PROBE_QUEUE, {
    connection: { url: subject.config.redis.url },
    prefix: subject.config.redis.queuePrefix,
  });
}

async function dashboardQueues(subject: TestApp): Promise<{ name: string; counts: Record<string, number> }[]> {
  const response = await subject.inject({
    method: 'GET',
    url: '/admin/queues/api/queues',
    headers: { authorization: dashboardAuth },
  });
  expect(response.statusCode).toBe(200);
  return response.json<{ queues: { name: string; counts: Record<string, number> }[] }>().queues;
}

async function metrics(subject: TestApp): Promise<string> {
  const response = await subject.inject({ method: 'GET', url: '/metrics' });
  expect(response.statusCode).toBe(200);
  return response.body;
}

describe('a test-only queue declared in one place, role all', () => {
  let subject: TestApp;
  let queue: Queue<EchoJobData>;

  beforeAll(async () => {
    subject = await startWithProbeQueue({ OUTBOX_POLL_INTERVAL_MS: '50', DEAD_LETTER_RETENTION_COUNT: '17' });
    queue = queueClient(subject);
  });
  afterAll(async () => {
    await queue.close();
    await subject.close();
  });

  it('turns its outbox rows into jobs (jobId = outbox id, declared options) that its processor runs', async () => {
    const database = subject.app.get(Database);
    const outbox = subject.app.get(OutboxService);
    const outboxId = await database.transaction((tx) => outbox.add(tx, ECHO_TOPIC, { word: 'hello' }));

    const job = await eventually(
      () => queue.getJob(outboxId),
      (found) => found !== undefined,
      { what: 'the relayed job' },
    );
    await eventually(
      () => job!.getState(),
      (state) => state === 'completed',
      { what: 'the job completing' },
    );
    const completed = (await queue.getJob(outboxId))!;
    expect(completed.name).toBe(ECHO_JOB);
    expect(completed.data).toEqual({ word: 'hello' });
    expect(completed.returnvalue).toEqual({ echoed: 'hello' });
    expect(completed.opts).toMatchObject({
      attempts: 2,
      backoff: { type: 'fixed', delay: 10 },
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 17 },
    });
    expect(ranJobs).toContainEqual({ jobId: outboxId, role: 'all', word: 'hello' });
  });

  it('shows the queue on the dashboard and its depth on /metrics', async () => {
    const board = await dashboardQueues(subject);
    expect(board.find((entry) => entry.name === PROBE_QUEUE)?.counts.completed).toBeGreaterThanOrEqual(1);
    const body = await metrics(subject);
    expect(body).toMatch(new RegExp(`queue_jobs\\{queue="${PROBE_QUEUE}",state="completed"\\} [1-9]`));
    expect(body).toMatch(new RegExp(`queue_jobs\\{queue="${PROBE_QUEUE}",state="waiting"\\} 0`));
    // The built-in queues are found the same way.
    for (const name of ['payments', 'webhooks', 'maintenance']) {
      expect(body).toMatch(new RegExp(`queue_jobs\\{queue="${name}",state="waiting"\\} \\d+`));
    }
  });
});

describe('a test-only queue declared in one place, roles api and worker', () => {
  const databaseName = uniqueDatabaseName();
  const names = newTestNamespace();
  const shared = {
    DATABASE_URL: `${postgresServerUrl}/${databaseName}`,
    ...names.environment,
  };
  let api: TestApp;
  let worker: TestApp | undefined;
  let queue: Queue<EchoJobData>;

  beforeAll(async () => {
    api = await startWithProbeQueue({ ...shared, APP_ROLE: 'api' });
    queue = queueClient(api);
  });
  afterAll(async () => {
    await queue.close();
    await worker?.close();
    await api.close();
    await names.remove();
    await dropDatabase(databaseName);
  });

  it('runs no worker in api: its job waits, visible on the dashboard and in /metrics; a worker process runs it', async () => {
    // The job is added as a feature would add one in code: with the declared options, passed explicitly.
    const added = await queue.add(
      ECHO_JOB,
      { word: 'later' },
      probeQueue.jobOptions(ECHO_JOB, api.config, { jobId: 'probe-later' }),
    );
    expect(() => api.app.get(EchoProcessor)).toThrow();
    expect(await queue.getWorkersCount()).toBe(0);

    const board = await dashboardQueues(api);
    expect(board.find((entry) => entry.name === PROBE_QUEUE)?.counts.waiting).toBe(1);
    expect(await metrics(api)).toMatch(new RegExp(`queue_jobs\\{queue="${PROBE_QUEUE}",state="waiting"\\} 1`));
    expect(await added.getState()).toBe('waiting');
    expect(ranJobs.some((ran) => ran.jobId === 'probe-later')).toBe(false);

    worker = await startWithProbeQueue({ ...shared, APP_ROLE: 'worker' });
    await eventually(
      () => added.getState(),
      (state) => state === 'completed',
      { what: 'the worker process running the job' },
    );
    expect(await queue.getWorkersCount()).toBe(1);
    expect(ranJobs.filter((ran) => ran.jobId === 'probe-later')).toEqual([
      { jobId: 'probe-later', role: 'worker', word: 'later' },
    ]);
  });
});
