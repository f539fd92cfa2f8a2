import { Queue } from 'bullmq';
import type { Client } from 'pg';
import { PAYMENTS_QUEUE } from '../../src/payments/payments.constants';
import { AppProcess, assertBuilt, killAll } from './support/app-process';
import {
  auditPayments,
  databaseClient,
  ledgerVerification,
  lossAndDuplication,
  notFinalCount,
  paymentFailures,
  secondsUntilAllFinal,
} from './support/audit';
import { DurableRedis } from './support/durable-redis';
import { FaultStack } from './support/fault-stack';
import { runFault } from './support/figures';
import { createFaultMerchant, LoadDriver } from './support/load-driver';

const paymentCount = 1_000;
const killsMax = 3;
// Kill, start again, let it take jobs for this long, kill again.
const runBetweenKillsMs = 1_000;
// PAYMENT_JOB_LOCK_MS, shortened from BullMQ's 30 s: a job a killed worker held comes back once its lock lapsed
// and the stalled check (every lock period) ran, within two lock periods.
const jobLockMs = 5_000;
// Two lock periods, the rest of the burst still queued behind them, and a 2-core machine under load.
const finalDeadlineMs = 2 * jobLockMs + 50_000;

describe('a worker SIGKILLed repeatedly during a burst', () => {
  let redis: DurableRedis | undefined;
  let stack: FaultStack | undefined;
  let api: AppProcess | undefined;
  let relay: AppProcess | undefined;
  let steadyWorker: AppProcess | undefined;
  let killedWorker: AppProcess | undefined;
  let database: Client | undefined;
  let queue: Queue | undefined;

  beforeAll(async () => {
    assertBuilt();
    redis = await DurableRedis.start();
    // Network latency long enough that every kill interrupts authorizations in flight.
    stack = new FaultStack('sigkill', {
      redisUrl: redis.url,
      environment: { CARD_NETWORK_LATENCY_MS: '25', PAYMENT_JOB_LOCK_MS: String(jobLockMs) },
    });
    api = await AppProcess.start('api', stack.environment);
    [relay, steadyWorker, killedWorker] = await Promise.all([
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
    await killAll([api, relay, steadyWorker, killedWorker]);
    await stack?.cleanup();
    await redis?.destroy();
  });

  it('ends every payment final, settled and charged once, with a balanced ledger', async () => {
    await runFault(
      {
        name: 'worker-sigkill',
        title: 'worker SIGKILLed repeatedly',
        load: `${paymentCount} payments, 32 concurrent`,
        fault: `SIGKILL of one of two workers, up to ${killsMax} times`,
      },
      async (figures) => {
        const merchant = await createFaultMerchant(api!.url);
        const load = new LoadDriver({
          apiUrls: () => [api!.url],
          merchant,
          count: paymentCount,
          concurrency: 32,
          deadlineMs: 120_000,
          label: 'sigkill',
        });
        const loading = load.run();
        let kills = 0;
        let lastRestartAtMs = Date.now();
        // Kill while there is work to interrupt: the burst still arriving or payments still processing.
        while (kills < killsMax) {
          await new Promise((resolve) => setTimeout(resolve, runBetweenKillsMs));
          const pending = await notFinalCount(database!, [...load.acknowledged.values()]);
          if (load.acknowledged.size === paymentCount && pending === 0) break;
          await killedWorker!.kill();
          kills += 1;
          await killedWorker!.restart();
          lastRestartAtMs = Date.now();
        }
        await loading;
        const ids = [...load.acknowledged.values()];
        figures.recoverySeconds = await secondsUntilAllFinal(database!, ids, lastRestartAtMs, finalDeadlineMs);
        const audit = await auditPayments(database!, merchant.id, ids);
        const verification = await ledgerVerification(api!.url);
        // Jobs a killed worker held, run again elsewhere (once: completed; twice: failed, the payment settled).
        const finished = await queue!.getJobs(['completed', 'failed'], 0, paymentCount * 2);
        const takenOver = finished.filter((job) => job.stalledCounter > 0).length;
        Object.assign(figures, lossAndDuplication(audit));
        figures.serverErrors = load.serverErrors;
        figures.details = { kills, takenOver, audit, statusCounts: load.statusCounts, verification: verification.body };
        figures.failures.push(...paymentFailures(audit));
        if (kills === 0) figures.failures.push('the worker was never killed: the fault did not happen');
        if (takenOver === 0) figures.failures.push('no job was held by a killed worker: the kills interrupted nothing');
        if (load.unanswered.length > 0) figures.failures.push(`${load.unanswered.length} payments never accepted`);
        if (load.serverErrors > 0) figures.failures.push(`${load.serverErrors} 5xx answers`);
        if (!verification.balanced) figures.failures.push('the ledger verifier did not answer balanced');
      },
    );
  });
});
