import type { Client } from 'pg';
import { OwnRedis } from '../support/own-redis';
import { AppProcess, assertBuilt, killAll } from './support/app-process';
import { databaseClient, secondsUntilAllFinal } from './support/audit';
import { DurableRedis } from './support/durable-redis';
import { FaultStack } from './support/fault-stack';
import { runFault } from './support/figures';
import { createFaultMerchant, faultAdminToken, type FaultMerchant, LoadDriver } from './support/load-driver';

const paymentCount = 40;
// Reads after the cache Redis returned: at least this many rounds over every payment once it answers again.
const roundsAfterReturn = 2;
const cacheReturnDeadlineMs = 30_000;

/** Payment reads that reached the cache Redis (hit or miss). Not every family: each authenticated request counts
 * an api_key hit in the process's own layer, which moves while the cache Redis is down or skipped. */
async function paymentCacheReads(app: AppProcess): Promise<number> {
  const response = await fetch(`${app.url}/metrics`, {
    headers: { 'x-admin-token': faultAdminToken },
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  const total = (name: string): number =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{family="payment"}`))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  return total('cache_hits_total') + total('cache_misses_total');
}

describe('the cache Redis down', () => {
  let queueRedis: OwnRedis | undefined;
  let cacheRedis: DurableRedis | undefined;
  let stack: FaultStack | undefined;
  let app: AppProcess | undefined;
  let database: Client | undefined;

  beforeAll(async () => {
    assertBuilt();
    [queueRedis, cacheRedis] = await Promise.all([OwnRedis.start(), DurableRedis.start()]);
    stack = new FaultStack('cache-redis', { redisUrl: queueRedis.url, cacheRedisUrl: cacheRedis.url });
    app = await AppProcess.start('all', stack.environment);
    database = await databaseClient(stack.databaseUrl);
  });

  afterAll(async () => {
    await database?.end().catch(() => undefined);
    await killAll([app]);
    await stack?.cleanup();
    await queueRedis?.stop();
    await cacheRedis?.destroy();
  });

  it('serves reads from PostgreSQL, takes writes, and serves nothing stale once it returns', async () => {
    await runFault(
      {
        name: 'cache-redis-down',
        title: 'cache Redis down',
        load: `${paymentCount} manual-capture payments read, captured, read again`,
        fault: 'cache Redis SIGKILLed with the payments cached, restarted with its old data (AOF)',
      },
      async (figures) => {
        const merchant: FaultMerchant = await createFaultMerchant(app!.url);
        const load = new LoadDriver({
          apiUrls: () => [app!.url],
          merchant,
          count: paymentCount,
          concurrency: 8,
          deadlineMs: 30_000,
          label: 'cache',
          captureMethod: 'manual',
        });
        await load.run();
        const ids = [...load.acknowledged.values()];
        await secondsUntilAllFinal(database!, ids, Date.now(), 30_000);
        let serverErrors = 0;
        let stale = 0;
        let wrong = 0;
        const headers = { authorization: `Bearer ${merchant.apiKey}` };
        const readAll = async (expected: string): Promise<void> => {
          for (const id of ids) {
            const response = await fetch(`${app!.url}/v1/payments/${id}`, { headers });
            if (response.status >= 500) serverErrors += 1;
            if (response.status !== 200) continue;
            const { status } = (await response.json()) as { status: string };
            if (status === expected) continue;
            if (expected === 'succeeded' && status === 'requires_capture') stale += 1;
            else wrong += 1;
          }
        };
        // Cached twice over: the first read loads, the second is a hit.
        await readAll('requires_capture');
        await readAll('requires_capture');
        await cacheRedis!.crash();
        await readAll('requires_capture');
        let capturesRefused = 0;
        for (const [index, id] of ids.entries()) {
          const response = await fetch(`${app!.url}/v1/payments/${id}/capture`, {
            method: 'POST',
            headers: {
              ...headers,
              'idempotency-key': `capture-${stack!.name}-${index}`,
              'content-type': 'application/json',
            },
            body: '{}',
          });
          if (response.status >= 500) serverErrors += 1;
          if (response.status !== 200) capturesRefused += 1;
        }
        await readAll('succeeded');
        const staleDuringOutage = stale;
        const before = await paymentCacheReads(app!);
        await cacheRedis!.restart();
        const returnedAtMs = Date.now();
        // Read until payments are read from the cache again (their hit or miss counters move), then some rounds more.
        const deadline = Date.now() + cacheReturnDeadlineMs;
        let answering = false;
        while (!answering && Date.now() < deadline) {
          await readAll('succeeded');
          answering = (await paymentCacheReads(app!)) > before;
        }
        figures.recoverySeconds = answering ? (Date.now() - returnedAtMs) / 1_000 : null;
        for (let round = 0; round < roundsAfterReturn; round += 1) await readAll('succeeded');
        figures.lost = capturesRefused;
        figures.duplicated = 0;
        figures.serverErrors = serverErrors;
        figures.details = { staleDuringOutage, staleAfterReturn: stale - staleDuringOutage, wrong, capturesRefused };
        if (stale > 0) figures.failures.push(`${stale} stale reads (requires_capture after the capture)`);
        if (wrong > 0) figures.failures.push(`${wrong} reads with an unexpected status`);
        if (capturesRefused > 0) figures.failures.push(`${capturesRefused} captures refused while the cache was down`);
        if (serverErrors > 0) figures.failures.push(`${serverErrors} 5xx answers`);
        if (!answering) figures.failures.push('the cache was never used again after it returned');
      },
    );
  });
});
