import { Queue } from 'bullmq';
import type { Client } from 'pg';
import { PAYMENTS_QUEUE } from '../../src/payments/payments.constants';
import { AppProcess, assertBuilt, killAll } from './support/app-process';
import {
  auditPayments,
  databaseClient,
  ledgerVerification,
  lossAndDuplication,
  paymentFailures,
  secondsUntilAllFinal,
} from './support/audit';
import { DurableRedis } from './support/durable-redis';
import { FaultStack } from './support/fault-stack';
import { runFault } from './support/figures';
import { createFaultMerchant, LoadDriver } from './support/load-driver';

const paymentCount = 64;
// Authorizations take this long, so the frozen worker surely holds jobs in flight.
const networkLatencyMs = 2_000;
// BullMQ's defaults: a lock lasts 30 s, stalled jobs are looked for every 30 s.
const takeoverDeadlineMs = 100_000;
const shutdownDeadlineMs = 20_000;

describe('a worker whose event loop is blocked past the job lock', () => {
  let redis: DurableRedis | undefined;
  let stack: FaultStack | undefined;
  let api: AppProcess | undefined;
  let relay: AppProcess | undefined;
  let frozenWorker: AppProcess | undefined;
  let otherWorker: AppProcess | undefined;
  let database: Client | undefined;
  let queue: Queue | undefined;

  beforeAll(async () => {
    assertBuilt();
    redis = await DurableRedis.start();
    stack = new FaultStack('stalled', {
      redisUrl: redis.url,
      environment: { CARD_NETWORK_LATENCY_MS: String(networkLatencyMs), SHUTDOWN_TIMEOUT_MS: '15000' },
    });
    api = await AppProcess.start('api', stack.environment);
    [relay, frozenWorker, otherWorker] = await Promise.all([
      AppProcess.start('relay', stack.environment),
      AppProcess.start('worker', stack.environment),
      AppProcess.start('worker', stack.environment),
    ]);
    database = await databaseClient(stack.databaseUrl);
    queue = new Queue(PAYMENTS_QUEUE, { connection: { url: redis.url }, prefix: stack.environment.QUEUE_PREFIX });
  });

  afterAll(async () => {
    await queue?.close().catch(() => undefined);
    await database?.end().catch(() => undefined);
    await killAll([api, relay, frozenWorker, otherWorker]);
    await stack?.cleanup();
    await redis?.destroy();
  });

  it('hands the stalled jobs to another worker and changes the ledger once', async () => {
    await runFault(
      {
        name: 'worker-stalled',
        title: 'worker event loop blocked past the job lock',
        load: `${paymentCount} payments, ${networkLatencyMs} ms network`,
        fault: 'SIGSTOP of one of two workers until its jobs were taken over, then SIGCONT',
      },
      async (figures) => {
        const merchant = await createFaultMerchant(api!.url);
        const load = new LoadDriver({
          apiUrls: () => [api!.url],
          merchant,
          count: paymentCount,
          concurrency: 16,
          deadlineMs: 60_000,
          label: 'stalled',
        });
        await load.run();
        // Freeze a worker once both are busy with authorizations.
        const deadline = Date.now() + 20_000;
        while ((await queue!.getActiveCount()) < 16 && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 50));
        const frozenAtMs = Date.now();
        frozenWorker!.signal('SIGSTOP');
        const ids = [...load.acknowledged.values()];
        figures.recoverySeconds = await secondsUntilAllFinal(database!, ids, frozenAtMs, takeoverDeadlineMs);
        // The frozen worker wakes up in the middle of its old jobs; a graceful stop lets it finish them.
        frozenWorker!.signal('SIGCONT');
        const stopped = await frozenWorker!.terminate(shutdownDeadlineMs);
        const finished = await queue!.getJobs(['completed', 'failed'], 0, paymentCount * 2);
        const takenOver = finished.filter((job) => (job.stalledCounter ?? 0) > 0).length;
        const audit = await auditPayments(database!, merchant.id, ids);
        const verification = await ledgerVerification(api!.url);
        Object.assign(figures, lossAndDuplication(audit));
        figures.serverErrors = load.serverErrors;
        figures.details = { takenOver, frozenWorkerStop: stopped, audit, verification: verification.body };
        figures.failures.push(...paymentFailures(audit));
        if (takenOver === 0) figures.failures.push('no job was taken over: the fault did not happen');
        if (load.unanswered.length > 0) figures.failures.push(`${load.unanswered.length} payments never accepted`);
        if (!verification.balanced) figures.failures.push('the ledger verifier did not answer balanced');
      },
    );
  });
});
