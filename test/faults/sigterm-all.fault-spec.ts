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
import { FaultStack } from './support/fault-stack';
import { runFault } from './support/figures';
import { createFaultMerchant, LoadDriver } from './support/load-driver';

const paymentCount = 300;
const signalAfterAcknowledged = 100;
const shutdownTimeoutMs = 5_000;
// Signal delivery and process teardown after the app's own deadline: a process past this did not honour it.
const exitSlackMs = 1_000;

describe('SIGTERM to every role under load', () => {
  let redis: OwnRedis | undefined;
  let stack: FaultStack | undefined;
  let apps: AppProcess[] = [];
  let database: Client | undefined;

  beforeAll(async () => {
    assertBuilt();
    redis = await OwnRedis.start();
    stack = new FaultStack('sigterm', {
      redisUrl: redis.url,
      environment: { SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs), CARD_NETWORK_LATENCY_MS: '20' },
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
    await redis?.stop();
  });

  it('loses and duplicates nothing, and every process exits within SHUTDOWN_TIMEOUT_MS', async () => {
    await runFault(
      {
        name: 'sigterm-all',
        title: 'SIGTERM to every role',
        load: `${paymentCount} payments, 16 concurrent`,
        fault: `SIGTERM to api, relay and worker at once mid-burst (SHUTDOWN_TIMEOUT_MS ${shutdownTimeoutMs}), then started again`,
      },
      async (figures) => {
        const api = apps[0]!;
        const merchant = await createFaultMerchant(api.url);
        const load = new LoadDriver({
          apiUrls: () => [api.url],
          merchant,
          count: paymentCount,
          concurrency: 16,
          deadlineMs: 120_000,
          label: 'sigterm',
        });
        const loading = load.run();
        const deadline = Date.now() + 60_000;
        while (load.acknowledged.size < signalAfterAcknowledged && Date.now() < deadline)
          await new Promise((resolve) => setTimeout(resolve, 20));
        const exits = await Promise.all(apps.map((app) => app.terminate(shutdownTimeoutMs * 3)));
        const restartedAtMs = Date.now();
        await Promise.all(apps.map((app) => app.restart()));
        await loading;
        const ids = [...load.acknowledged.values()];
        figures.recoverySeconds = await secondsUntilAllFinal(database!, ids, restartedAtMs, 60_000);
        const audit = await auditPayments(database!, merchant.id, ids);
        const verification = await ledgerVerification(api.url);
        Object.assign(figures, lossAndDuplication(audit));
        figures.serverErrors = load.serverErrors;
        figures.details = {
          exits: Object.fromEntries(apps.map((app, index) => [app.role, exits[index]])),
          statusCounts: load.statusCounts,
          connectionErrors: load.connectionErrors,
          audit,
        };
        figures.failures.push(...paymentFailures(audit, { requireNetworkRecord: false }));
        exits.forEach((exit, index) => {
          const role = apps[index]!.role;
          if (exit.code !== 0) figures.failures.push(`${role} exited with ${exit.code}`);
          if (exit.exitMs > shutdownTimeoutMs + exitSlackMs)
            figures.failures.push(`${role} took ${exit.exitMs} ms to exit (SHUTDOWN_TIMEOUT_MS ${shutdownTimeoutMs})`);
        });
        if (load.serverErrors !== load.wellFormedUnavailable)
          figures.failures.push(`${load.serverErrors - load.wellFormedUnavailable} 5xx answers other than a 503`);
        if (load.unanswered.length > 0) figures.failures.push(`${load.unanswered.length} payments never accepted`);
        if (!verification.balanced) figures.failures.push('the ledger verifier did not answer balanced');
      },
    );
  });
});
