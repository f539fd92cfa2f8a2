import { pollUntil } from './support/poll';
import type { Client } from 'pg';
import { OwnRedis } from '../support/own-redis';
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

const paymentCount = 400;
const crashAfterAcknowledged = 100;
// While the queue Redis is down the API must go on accepting: this many more payments, within this long.
const acceptedDuringOutageMin = 50;
const outageObservationDeadlineMs = 15_000;
// The promise: everything complete within 30 s of Redis returning.
const recoveryPromiseSeconds = 30;

describe('the queue Redis restarted under load', () => {
  let queueRedis: DurableRedis | undefined;
  let cacheRedis: OwnRedis | undefined;
  let stack: FaultStack | undefined;
  let apps: AppProcess[] = [];
  let database: Client | undefined;

  beforeAll(async () => {
    assertBuilt();
    queueRedis = await DurableRedis.start();
    cacheRedis = await OwnRedis.start();
    // A job a worker held when Redis died keeps its lock (persisted with its TTL) until the lock lapses and a stalled
    // check returns it: with BullMQ's 30 s lock and check period that alone is up to a minute. The suite runs the
    // workers with a 5 s lock (PAYMENT_JOB_LOCK_MS), as a deployment that needs the 30 s promise would.
    stack = new FaultStack('queue-redis', {
      redisUrl: queueRedis.url,
      cacheRedisUrl: cacheRedis.url,
      environment: { PAYMENT_JOB_LOCK_MS: '5000' },
    });
    const api = await AppProcess.start('api', stack.environment);
    apps = [
      api,
      ...(await Promise.all([
        AppProcess.start('relay', stack.environment),
        AppProcess.start('worker', stack.environment),
      ])),
    ];
    database = await databaseClient(stack.databaseUrl);
  });

  afterAll(async () => {
    await database?.end().catch(() => undefined);
    await killAll(apps);
    await stack?.cleanup();
    await queueRedis?.destroy();
    await cacheRedis?.stop();
  });

  it('keeps accepting, reconnects by itself and completes everything soon after Redis returns', async () => {
    await runFault(
      {
        name: 'queue-redis-restart',
        title: 'queue Redis restarted',
        load: `${paymentCount} payments, 16 concurrent`,
        fault: 'queue Redis SIGKILLed mid-burst, restarted (AOF) once the API had accepted more',
      },
      async (figures) => {
        const api = apps[0]!;
        const merchant = await createFaultMerchant(api.url);
        const load = new LoadDriver({
          apiUrls: () => [api.url],
          merchant,
          count: paymentCount,
          concurrency: 16,
          deadlineMs: 90_000,
          label: 'queue-redis',
        });
        const loading = load.run();
        await pollUntil(() => load.acknowledged.size >= crashAfterAcknowledged, 60_000);
        await queueRedis!.crash();
        const acknowledgedAtCrash = load.acknowledged.size;
        const kept = await pollUntil(
          () => load.acknowledged.size >= Math.min(paymentCount, acknowledgedAtCrash + acceptedDuringOutageMin),
          outageObservationDeadlineMs,
        );
        const acceptedDuringOutage = load.acknowledged.size - acknowledgedAtCrash;
        await queueRedis!.restart();
        const returnedAtMs = Date.now();
        await loading;
        const ids = [...load.acknowledged.values()];
        figures.recoverySeconds = await secondsUntilAllFinal(database!, ids, returnedAtMs, 60_000);
        const audit = await auditPayments(database!, merchant.id, ids);
        const verification = await ledgerVerification(api.url);
        Object.assign(figures, lossAndDuplication(audit));
        figures.serverErrors = load.serverErrors;
        figures.details = { acceptedDuringOutage, statusCounts: load.statusCounts, audit };
        figures.failures.push(...paymentFailures(audit, { requireNetworkRecord: false }));
        if (!kept) figures.failures.push(`only ${acceptedDuringOutage} payments accepted while Redis was down`);
        if (load.serverErrors > 0) figures.failures.push(`${load.serverErrors} 5xx answers`);
        if (load.unanswered.length > 0) figures.failures.push(`${load.unanswered.length} payments never accepted`);
        if (figures.recoverySeconds === null || figures.recoverySeconds > recoveryPromiseSeconds)
          figures.failures.push(`not all complete within ${recoveryPromiseSeconds} s of Redis returning`);
        if (apps.some((app) => !app.running || app.starts !== 1)) figures.failures.push('a process had to restart');
        if (!verification.balanced) figures.failures.push('the ledger verifier did not answer balanced');
      },
    );
  });
});
