/**
 * What DATABASE_PREPARED_STATEMENTS=false (unnamed statements only, for PgBouncer before 1.21) costs against the
 * default (hot statements prepared once per connection), in CPU per payment created. Not a test: run it by hand, on
 * a machine as quiet as you can get (it prints the load average):
 *
 *   node --import ./bench/support/swc-register.mts test/prepared-statements.measure.ts
 *   # PREPARED_CREATES=1000 PREPARED_CONCURRENCY=1,16 PREPARED_ROUNDS=2
 *
 * One app in the `api` role (creates only: no worker, no relay) on a database of its own, directly on PostgreSQL,
 * once per setting and round, alternating. After a warm-up, it creates payments through the HTTP layer (inject)
 * with a given number in flight, and counts this process's CPU time and that of the app's PostgreSQL backends
 * (/proc/<pid>/stat of each backend of its database, so PostgreSQL must run on this machine).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Client } from 'pg';
import { createMerchant, createPayment, paymentBody } from './support/api';
import { startTestApp } from './support/test-app';

const creates = Number(process.env.PREPARED_CREATES ?? 1_000);
const warmupCreates = Math.ceil(creates / 5);
const concurrencies = (process.env.PREPARED_CONCURRENCY ?? '1,16').split(',').map(Number);
const rounds = Number(process.env.PREPARED_ROUNDS ?? 2);
const clockTicksPerSecond = 100;

interface Round {
  prepared: boolean;
  concurrency: number;
  appCpuMicrosPerPayment: number;
  postgresCpuMicrosPerPayment: number;
  totalCpuMicrosPerPayment: number;
}

/** CPU time of each backend of `database`, in µs, by pid. */
async function backendCpuMicros(client: Client, database: string): Promise<Map<number, number>> {
  const { rows } = await client.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [database],
  );
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      // Fields after the command name (in parentheses): utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      cpu.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / clockTicksPerSecond);
    } catch {
      // The backend ended meanwhile.
    }
  }
  return cpu;
}

async function createMany(count: number, concurrency: number, send: () => Promise<number>): Promise<void> {
  let left = count;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left > 0) {
        left -= 1;
        const status = await send();
        if (status !== 202) throw new Error(`create answered ${status}`);
      }
    }),
  );
}

async function measure(prepared: boolean, concurrency: number): Promise<Round> {
  const subject = await startTestApp({
    APP_ROLE: 'api',
    LOG_LEVEL: 'warn',
    DATABASE_PREPARED_STATEMENTS: String(prepared),
  });
  const sql = new Client({ connectionString: subject.config.database.url });
  await sql.connect();
  try {
    const merchant = await createMerchant(subject);
    const send = async () => (await createPayment(subject, merchant, paymentBody())).statusCode;
    await createMany(warmupCreates, concurrency, send);
    const postgresBefore = await backendCpuMicros(sql, subject.databaseName);
    const appBefore = process.cpuUsage();
    await createMany(creates, concurrency, send);
    const app = process.cpuUsage(appBefore);
    const postgresAfter = await backendCpuMicros(sql, subject.databaseName);
    let postgresMicros = 0;
    for (const [pid, micros] of postgresAfter) postgresMicros += micros - (postgresBefore.get(pid) ?? 0);
    const appMicros = app.user + app.system;
    return {
      prepared,
      concurrency,
      appCpuMicrosPerPayment: Math.round(appMicros / creates),
      postgresCpuMicrosPerPayment: Math.round(postgresMicros / creates),
      totalCpuMicrosPerPayment: Math.round((appMicros + postgresMicros) / creates),
    };
  } finally {
    await sql.end();
    await subject.close();
  }
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg();
  const results: Round[] = [];
  for (let round = 0; round < rounds; round += 1)
    for (const concurrency of concurrencies)
      for (const prepared of round % 2 === 0 ? [true, false] : [false, true])
        results.push(await measure(prepared, concurrency));
  console.table(results);
  console.log(
    JSON.stringify({
      creates,
      cpus: os.cpus().length,
      loadAverageAtStart: loadAtStart.map((value) => Math.round(value * 100) / 100),
      loadAverageAtEnd: os.loadavg().map((value) => Math.round(value * 100) / 100),
    }),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
