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
import { FaultStack } from './support/fault-stack';
import { runFault } from './support/figures';
import { createFaultMerchant, LoadDriver } from './support/load-driver';
import { OwnPostgres } from './support/own-postgres';

const paymentCount = 300;
const crashAfterAcknowledged = 80;

describe('PostgreSQL restarted under load', () => {
  let postgres: OwnPostgres | undefined;
  let redis: OwnRedis | undefined;
  let stack: FaultStack | undefined;
  let apps: AppProcess[] = [];
  let database: Client | undefined;

  beforeAll(async () => {
    assertBuilt();
    [postgres, redis] = await Promise.all([OwnPostgres.start(), OwnRedis.start()]);
    stack = new FaultStack('postgres', { redisUrl: redis.url, databaseUrl: postgres.url('payments') });
    const api = await AppProcess.start('api', stack.environment);
    apps = [
      api,
      ...(await Promise.all([
        AppProcess.start('relay', stack.environment),
        AppProcess.start('worker', stack.environment),
      ])),
    ];
  });

  afterAll(async () => {
    await database?.end().catch(() => undefined);
    await killAll(apps);
    await stack?.cleanup();
    await redis?.stop();
    await postgres?.destroy();
  });

  it('answers 503 with Retry-After during the outage and recovers without a restart, nothing half-written', async () => {
    await runFault(
      {
        name: 'postgres-restart',
        title: 'PostgreSQL restarted',
        load: `${paymentCount} payments, 16 concurrent`,
        fault: 'own PostgreSQL crashed (immediate stop) mid-burst, started again once 503s were seen',
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
          label: 'postgres',
        });
        const loading = load.run();
        await pollUntil(() => load.acknowledged.size >= crashAfterAcknowledged, 60_000);
        await postgres!.crash();
        const unavailableSeen = await pollUntil(() => load.serverErrors > 0, 15_000);
        await postgres!.restart();
        const returnedAtMs = Date.now();
        await loading;
        database = await databaseClient(stack!.databaseUrl);
        const ids = [...load.acknowledged.values()];
        figures.recoverySeconds = await secondsUntilAllFinal(database, ids, returnedAtMs, 60_000);
        const audit = await auditPayments(database, merchant.id, ids);
        const halfWritten = await database.query<{ without_event: string; without_outbox: string }>(
          `SELECT
             (SELECT count(*) FROM payments p WHERE p.merchant_id = $1 AND NOT EXISTS
               (SELECT 1 FROM events e WHERE e.object_id = p.id AND e.type = 'payment.processing')) AS without_event,
             (SELECT count(*) FROM events e WHERE e.merchant_id = $1 AND NOT EXISTS
               (SELECT 1 FROM outbox o WHERE o.payload->>'eventId' = e.id)) AS without_outbox`,
          [merchant.id],
        );
        const verification = await ledgerVerification(api.url);
        Object.assign(figures, lossAndDuplication(audit));
        figures.serverErrors = load.serverErrors;
        figures.details = {
          statusCounts: load.statusCounts,
          wellFormedUnavailable: load.wellFormedUnavailable,
          connectionErrors: load.connectionErrors,
          halfWritten: halfWritten.rows[0],
          audit,
        };
        figures.failures.push(...paymentFailures(audit, { requireNetworkRecord: false }));
        if (!unavailableSeen) figures.failures.push('no 503 during the outage: the fault was not seen');
        if (load.serverErrors !== load.wellFormedUnavailable)
          figures.failures.push(
            `${load.serverErrors - load.wellFormedUnavailable} 5xx answers not 503 service_unavailable with Retry-After`,
          );
        const { without_event: withoutEvent, without_outbox: withoutOutbox } = halfWritten.rows[0]!;
        if (Number(withoutEvent) > 0) figures.failures.push(`${withoutEvent} payments without their event`);
        if (Number(withoutOutbox) > 0) figures.failures.push(`${withoutOutbox} events without their outbox row`);
        if (load.unanswered.length > 0) figures.failures.push(`${load.unanswered.length} payments never accepted`);
        if (apps.some((app) => !app.running || app.starts !== 1)) figures.failures.push('a process had to restart');
        if (!verification.balanced) figures.failures.push('the ledger verifier did not answer balanced');
      },
    );
  });
});
