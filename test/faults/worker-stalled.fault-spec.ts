import { pollUntil } from './support/poll';
import { Queue } from 'bullmq';
import type { Client } from 'pg';
import { newId } from '../../src/common/ids';
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
import { createFaultMerchant, type FaultMerchant, LoadDriver } from './support/load-driver';

// One worker's concurrency (PAYMENT_WORKER_CONCURRENCY): a frozen worker holds this many jobs.
const workerConcurrency = 16;
const paymentCount = 4 * workerConcurrency;
// Authorizations take this long, so a frozen worker surely holds jobs in flight.
const networkLatencyMs = 2_000;
// PAYMENT_JOB_LOCK_MS, shortened from BullMQ's 30 s so the scenario does not wait out real minutes. A frozen
// worker's lock lapses within one lock period, and the stalled check (run every lock period) moves its jobs within
// one more; the margin covers process start, the network call and a 2-core machine under load.
const jobLockMs = 5_000;
const takeoverDeadlineMs = 2 * jobLockMs + networkLatencyMs + 20_000;
const shutdownDeadlineMs = 20_000;
// BullMQ's reason for a job that stalled more than maxStalledCount (1) times.
const stalledTooOftenReason = 'job stalled more than allowable limit';
// The PostgreSQL application_name of the worker frozen first, so the test can see its transactions.
const frozenWorkerApplication = 'fault-frozen-worker';

describe('a worker whose event loop is blocked past the job lock', () => {
  let redis: DurableRedis | undefined;
  let stack: FaultStack | undefined;
  let api: AppProcess | undefined;
  let relay: AppProcess | undefined;
  const workers: AppProcess[] = [];
  let database: Client | undefined;
  let queue: Queue | undefined;

  beforeAll(async () => {
    assertBuilt();
    redis = await DurableRedis.start();
    stack = new FaultStack('stalled', {
      redisUrl: redis.url,
      environment: {
        CARD_NETWORK_LATENCY_MS: String(networkLatencyMs),
        PAYMENT_JOB_LOCK_MS: String(jobLockMs),
        PAYMENT_WORKER_CONCURRENCY: String(workerConcurrency),
        SHUTDOWN_TIMEOUT_MS: '15000',
      },
    });
    api = await AppProcess.start('api', stack.environment);
    const frozenDatabaseUrl = new URL(stack.databaseUrl);
    frozenDatabaseUrl.searchParams.set('application_name', frozenWorkerApplication);
    const started = await Promise.all([
      AppProcess.start('relay', stack.environment),
      AppProcess.start('worker', { ...stack.environment, DATABASE_URL: frozenDatabaseUrl.toString() }),
      AppProcess.start('worker', stack.environment),
    ]);
    relay = started[0];
    workers.push(started[1], started[2]);
    database = await databaseClient(stack.databaseUrl);
    queue = new Queue(PAYMENTS_QUEUE, { connection: { url: redis.url }, prefix: stack.environment.QUEUE_PREFIX });
  });

  afterAll(async () => {
    await queue?.close().catch(() => undefined);
    await database?.end().catch(() => undefined);
    await killAll([api, relay, ...workers]);
    await stack?.cleanup();
    await redis?.destroy();
  });

  const burst = (merchant: FaultMerchant, count: number, label: string): LoadDriver =>
    new LoadDriver({ apiUrls: () => [api!.url], merchant, count, concurrency: 16, deadlineMs: 60_000, label });

  const startWorker = async (): Promise<AppProcess> => {
    const worker = await AppProcess.start('worker', stack!.environment);
    workers.push(worker);
    return worker;
  };

  it('hands a stalled job to another worker once, and settles a job that stalled twice', async () => {
    await runFault(
      {
        name: 'worker-stalled',
        title: 'worker event loop blocked past the job lock',
        load: `${paymentCount} + ${workerConcurrency} payments, ${networkLatencyMs} ms network, ${jobLockMs} ms job lock`,
        fault:
          'SIGSTOP of one of two workers inside a ledger transaction until its jobs were taken over; then of the ' +
          'worker holding a second burst, and of the worker that took it over, so those jobs stall twice; SIGCONT',
      },
      async (figures) => {
        const merchant = await createFaultMerchant(api!.url);
        const [frozenFirst, takingOver] = workers as [AppProcess, AppProcess];

        // The merchant's balance row, held by the test from before the burst (see waitingForBalance below) with the
        // lock a balance update takes: the postings' foreign-key checks still go through.
        await database!.query(
          `INSERT INTO ledger_accounts (id, kind, merchant_id, currency) VALUES ($1, 'merchant_available', $2, 'USD')
             ON CONFLICT ON CONSTRAINT ledger_accounts_identity DO NOTHING`,
          [newId('acct'), merchant.id],
        );
        const balanceHolder = await databaseClient(stack!.databaseUrl);
        await balanceHolder.query('BEGIN');
        await balanceHolder.query(
          `SELECT 1 FROM ledger_accounts WHERE kind = 'merchant_available' AND merchant_id = $1 AND currency = 'USD'
             FOR NO KEY UPDATE`,
          [merchant.id],
        );
        // Stalled once: the other worker runs the job again; the network answers the key as it answered it (or
        // first), so every payment succeeds, once.
        const first = burst(merchant, paymentCount, 'stalled');
        await first.run();
        // Frozen in the middle of completing a payment: its transaction has updated the merchant's balance row,
        // whose lock every other completion of that merchant needs. A paused process (GC, SIGSTOP, a paused VM)
        // must not hold it for as long as it is paused.
        const frozenInTransaction = async (): Promise<boolean> => {
          const { rows } = await database!.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
               WHERE a.application_name = $1 AND a.state = 'idle in transaction'
                 AND l.relation = 'ledger_accounts'::regclass AND l.mode = 'RowExclusiveLock'`,
            [frozenWorkerApplication],
          );
          return Number(rows[0]!.n) > 0;
        };
        // A settlement updates the balance row last, just before its commit (the row is locked as briefly as
        // possible), so the test makes that moment instead of waiting to catch it: it holds the row itself until the
        // worker's settlement waits for it, stops the worker, then lets the row go. The worker's update goes through
        // and its transaction stays open, idle, the row locked.
        const waitingForBalance = async (): Promise<boolean> => {
          const { rows } = await database!.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity
               WHERE application_name = $1 AND wait_event_type = 'Lock' AND query LIKE '%ledger_accounts%'`,
            [frozenWorkerApplication],
          );
          return Number(rows[0]!.n) > 0;
        };
        let frozenMidTransaction = false;
        if (await pollUntil(waitingForBalance, 20_000)) {
          frozenFirst.signal('SIGSTOP');
          await balanceHolder.query('COMMIT');
          frozenMidTransaction = await pollUntil(frozenInTransaction, 5_000);
        } else {
          await balanceHolder.query('COMMIT');
        }
        await balanceHolder.end();
        const frozenAtMs = Date.now();
        const firstIds = [...first.acknowledged.values()];
        figures.recoverySeconds = await secondsUntilAllFinal(database!, firstIds, frozenAtMs, takeoverDeadlineMs);
        const firstAudit = await auditPayments(database!, merchant.id, firstIds);
        const completedOnce = await queue!.getJobs(['completed'], 0, paymentCount * 2);
        const takenOver = completedOnce.filter((job) => job.stalledCounter === 1).length;
        if (!frozenMidTransaction) figures.failures.push('the worker was never frozen inside a ledger transaction');
        if (takenOver === 0) figures.failures.push('no job was taken over: the fault did not happen');
        const notSucceeded = firstIds.length - (firstAudit.byStatus.succeeded ?? 0);
        if (notSucceeded > 0) figures.failures.push(`${notSucceeded} payments whose job stalled once did not succeed`);

        // Stalled twice: BullMQ fails the job instead of running it a third time; the payment must still end
        // final, well before the stranded-payments sweep would find it (its budget here is minutes: 5 attempts of
        // 30 s and a minute's margin).
        const secondMerchant = await createFaultMerchant(api!.url, 'Fault Twice Co');
        const second = burst(secondMerchant, workerConcurrency, 'stalled-twice');
        await second.run();
        const secondHeld = await pollUntil(async () => (await queue!.getActiveCount()) >= workerConcurrency, 20_000);
        takingOver.signal('SIGSTOP');
        const thirdWorker = await startWorker();
        const stalledOnceActive = async (): Promise<boolean> =>
          (await queue!.getActive()).some((job) => job.stalledCounter === 1);
        const retaken = await pollUntil(stalledOnceActive, takeoverDeadlineMs);
        // The stalled jobs move to wait together and are taken at once: let the worker take them all.
        await new Promise((resolve) => setTimeout(resolve, 200));
        const secondFrozenAtMs = Date.now();
        thirdWorker.signal('SIGSTOP');
        await startWorker();
        const secondIds = [...second.acknowledged.values()];
        const secondRecovery = await secondsUntilAllFinal(database!, secondIds, secondFrozenAtMs, takeoverDeadlineMs);
        const failedJobs = await queue!.getJobs(['failed'], 0, paymentCount * 2);
        const failedAfterStalls = failedJobs.filter((job) => job.failedReason === stalledTooOftenReason).length;
        if (!secondHeld) figures.failures.push('the second burst was never held by one worker');
        if (!retaken) figures.failures.push('no job of the second burst was taken over');
        if (failedAfterStalls === 0) figures.failures.push('no job stalled twice: the second fault did not happen');
        if (secondRecovery === null) figures.failures.push('payments whose job stalled twice were not settled');

        // The frozen workers wake up in the middle of their old jobs; a graceful stop lets them finish them.
        const running = workers.filter((worker) => worker.running);
        for (const worker of running) worker.signal('SIGCONT');
        const stops = await Promise.all(running.map((worker) => worker.terminate(shutdownDeadlineMs)));
        const ids = [...firstIds, ...secondIds];
        const audit = await auditPayments(database!, merchant.id, firstIds);
        const secondAudit = await auditPayments(database!, secondMerchant.id, secondIds);
        const verification = await ledgerVerification(api!.url);
        const lost = lossAndDuplication(audit);
        const secondLost = lossAndDuplication(secondAudit);
        figures.lost = lost.lost + secondLost.lost;
        figures.duplicated = lost.duplicated + secondLost.duplicated;
        figures.serverErrors = first.serverErrors + second.serverErrors;
        figures.details = {
          takenOver,
          failedAfterStalls,
          secondStallRecoverySeconds: secondRecovery,
          workerStops: stops,
          audit,
          secondAudit,
          verification: verification.body,
        };
        figures.failures.push(...paymentFailures(audit), ...paymentFailures(secondAudit));
        const unanswered = first.unanswered.length + second.unanswered.length;
        if (unanswered > 0) figures.failures.push(`${unanswered} payments never accepted`);
        if (ids.length !== paymentCount + workerConcurrency) figures.failures.push('not every payment acknowledged');
        if (!verification.balanced) figures.failures.push('the ledger verifier did not answer balanced');
      },
    );
  });
});
