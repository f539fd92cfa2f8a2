/**
 * The database's own ceiling for the write path: pgbench running, per transaction of its script, the statements
 * one `POST /v1/payments` sends (src/idempotency/idempotency.service.ts execute(), src/payments/payments.service.ts
 * create(), card vault store, src/events/events.service.ts record(), src/outbox/outbox.service.ts add()):
 *
 *   INSERT idempotency key (the claim, autocommit) ;
 *   BEGIN ; INSERT card_vault ; INSERT payments … RETURNING * ; INSERT events … RETURNING created_at ;
 *   INSERT outbox (event.publish) ; SELECT pg_notify ; INSERT outbox (payment.authorize) ; SELECT pg_notify ;
 *   UPDATE idempotency_keys (the stored response) ; COMMIT
 *
 * Extended protocol without named statements (-M extended), as node-postgres sends Drizzle's parameterized
 * queries. Values of the sizes the app writes (a sealed card ~90 bytes, a payment object ~600 bytes of JSON, a
 * sealed response ~700 bytes); ids unique per transaction. It runs against a database of its own, migrated like the
 * app's: no relay listens there, so the outbox rows stay where pgbench wrote them.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

export interface PgbenchSummary {
  clients: number;
  durationS: number;
  /** Payments (script transactions) completed. */
  transactions: number;
  transactionsPerSecond: number;
  failed: number;
  /** From the per-transaction log, 1 µs resolution, in ms with two decimals. */
  latencyMs: { average: number; p50: number; p90: number; p99: number; max: number };
  /** pgbench -r: average latency per statement of the script, ms. */
  statementLatencyMs: { statement: string; averageMs: number }[];
  script: string;
}

const merchantId = 'mer_pgbench';

/**
 * The script of one payment; :client_id and :r make the ids unique. Without `notify`, the same minus the two
 * `pg_notify` calls: PostgreSQL serializes the commits of transactions that notified (a cluster-wide lock held
 * through the commit's WAL flush), and the difference shows what that costs.
 */
function paymentScript(notify: boolean): string {
  const paymentJson = JSON.stringify({
    id: 'pay_XXXXXXXXXXXXXXXXXXXXXXXX',
    object: 'payment',
    amount: 1099,
    currency: 'USD',
    status: 'processing',
    capture_method: 'automatic',
    amount_capturable: 0,
    amount_captured: 0,
    amount_refunded: 0,
    card: { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2029, fingerprint: 'f'.repeat(32) },
    failure_code: null,
    failure_message: null,
    description: null,
    metadata: {},
    created_at: '2026-11-30T15:00:00.000Z',
    updated_at: '2026-11-30T15:00:00.000Z',
    // A space after every key's colon: pgbench would take `:null` or `:1099` for a variable reference.
  }).replaceAll('":', '": ');
  const id = (prefix: string) => `'${prefix}_' || :client_id || '_' || :r`;
  // One statement per line: pgbench reads a SQL command up to the first unquoted semicolon at the end of a line.
  return [
    '\\set r random(1, 999999999999)',
    `INSERT INTO idempotency_keys (scope, key, request_fingerprint, owner_token, locked_at, expires_at) VALUES ('${merchantId}', ${id('key')}, '${'a'.repeat(64)}', ${id('own')}, now(), now() + make_interval(secs => 86400)) ON CONFLICT (scope, key) DO UPDATE SET request_fingerprint = EXCLUDED.request_fingerprint, owner_token = EXCLUDED.owner_token, locked_at = now(), created_at = now(), expires_at = EXCLUDED.expires_at, response_status = NULL, response_body = NULL, response_sealed = NULL WHERE idempotency_keys.expires_at < now() OR (idempotency_keys.response_status IS NULL AND idempotency_keys.request_fingerprint = EXCLUDED.request_fingerprint AND idempotency_keys.locked_at < now() - make_interval(secs => 60)) RETURNING 1;`,
    'BEGIN;',
    `INSERT INTO card_vault (token, sealed, key_id) VALUES (${id('vt')}, decode('${'ab'.repeat(90)}', 'hex'), 'k1');`,
    `INSERT INTO payments (id, merchant_id, amount, currency, status, capture_method, card_brand, card_last4, card_exp_month, card_exp_year, card_fingerprint, vault_token, payment_method_type, description, metadata) VALUES (${id('pay')}, '${merchantId}', 1099, 'USD', 'processing', 'automatic', 'visa', '4242', 12, 2029, '${'f'.repeat(32)}', ${id('vt')}, 'card', NULL, '{}') RETURNING *;`,
    `INSERT INTO events (id, merchant_id, type, object_id, data) VALUES (${id('evt')}, '${merchantId}', 'payment.processing', ${id('pay')}, '{"object":${paymentJson}}') RETURNING created_at;`,
    `INSERT INTO outbox (id, topic, payload) VALUES (${id('obx1')}, 'event.publish', '{"eventId":"evt_XXXXXXXXXXXXXXXXXXXXXXXX","orderingKey":"pay_XXXXXXXXXXXXXXXXXXXXXXXX"}');`,
    ...(notify ? ["SELECT pg_notify('outbox', '');"] : []),
    `INSERT INTO outbox (id, topic, payload) VALUES (${id('obx2')}, 'payment.authorize', '{"paymentId":"pay_XXXXXXXXXXXXXXXXXXXXXXXX","merchantId":"mer_XXXXXXXXXXXXXXXXXXXXXXXX"}');`,
    ...(notify ? ["SELECT pg_notify('outbox', '');"] : []),
    `UPDATE idempotency_keys SET response_status = 202, response_sealed = decode('${'cd'.repeat(700)}', 'hex'), response_body = NULL, locked_at = NULL WHERE scope = '${merchantId}' AND key = ${id('key')} AND owner_token = ${id('own')} AND response_status IS NULL;`,
    'COMMIT;',
    '',
  ].join('\n');
}

async function isFile(candidate: string): Promise<boolean> {
  return readFile(candidate).then(
    () => true,
    () => false,
  );
}

/** Where pgbench is: on PATH, or in the PostgreSQL installation's bin directory (Debian's layout). */
async function findPgbench(): Promise<string | undefined> {
  for (const directory of (process.env.PATH ?? '').split(':')) {
    const candidate = path.join(directory, 'pgbench');
    if (await isFile(candidate)) return candidate;
  }
  const versions = await readdir('/usr/lib/postgresql').catch(() => [] as string[]);
  for (const version of versions.sort().reverse()) {
    const candidate = path.join('/usr/lib/postgresql', version, 'bin', 'pgbench');
    if (await isFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * pgbench, installed when it is missing and this process may install packages (root with apt-get); else an error
 * saying how. Debian ships it with the server (postgresql-15 has /usr/lib/postgresql/15/bin/pgbench; the client
 * package does not), so it is the `postgresql` package, as .ci/run installs it.
 */
async function pgbenchPath(): Promise<string> {
  const found = await findPgbench();
  if (found) return found;
  const howTo = 'pgbench not found: install PostgreSQL (apt-get install postgresql; Debian ships pgbench with it)';
  if (process.getuid?.() !== 0 || !(await isFile('/usr/bin/apt-get'))) throw new Error(howTo);
  console.log('pgbench not found: installing postgresql…');
  const environment = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update', '-q'], os.tmpdir(), environment);
  await run('apt-get', ['install', '-y', '-q', 'postgresql'], os.tmpdir(), environment);
  const installed = await findPgbench();
  if (!installed) throw new Error(howTo);
  return installed;
}

/** The merchant the script's rows belong to (the payments and events foreign keys). */
export async function preparePgbenchDatabase(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`INSERT INTO merchants (id, name) VALUES ($1, 'pgbench') ON CONFLICT DO NOTHING`, [merchantId]);
  } finally {
    await client.end();
  }
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${command} exited with ${signal ?? `code ${code}`}:\n${output.slice(-2000)}`));
    });
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const ms = (us: number) => Math.round(us / 10) / 100;

/** One pgbench run of the payment script: `clients` connections, 2 threads, `durationS` seconds. */
export async function runPgbench(
  databaseUrl: string,
  clients: number,
  durationS: number,
  options: { notify: boolean } = { notify: true },
): Promise<PgbenchSummary> {
  const binary = await pgbenchPath();
  const directory = await mkdtemp(path.join(os.tmpdir(), 'bench-pgbench-'));
  try {
    const script = paymentScript(options.notify);
    await writeFile(path.join(directory, 'payment.sql'), script);
    const url = new URL(databaseUrl);
    const args = [
      '-n', // no vacuum of pgbench's own tables (there are none)
      '-M',
      'extended',
      '-c',
      String(clients),
      '-j',
      String(Math.min(clients, os.availableParallelism())),
      '-T',
      String(durationS),
      '-r',
      '-l',
      '--log-prefix',
      path.join(directory, 'tx'),
      '-f',
      path.join(directory, 'payment.sql'),
      '-h',
      url.hostname,
      '-p',
      url.port || '5432',
      '-U',
      decodeURIComponent(url.username) || 'postgres',
      decodeURIComponent(url.pathname.slice(1)),
    ];
    const output = await run(binary, args, directory);
    const transactions = Number(/number of transactions actually processed: (\d+)/.exec(output)?.[1] ?? Number.NaN);
    const failed = Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? 0);
    // No tps line when no transaction completed (a short warm-up on a loaded machine).
    const tps = Number(
      /tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1] ?? (transactions === 0 ? 0 : Number.NaN),
    );
    if (Number.isNaN(transactions) || Number.isNaN(tps)) throw new Error(`unexpected pgbench output:\n${output}`);
    // Log lines: client_id transaction_no time(µs) script_no time_epoch time_us [schedule_lag]
    const latencies: number[] = [];
    for (const file of (await readdir(directory)).filter((name) => name.startsWith('tx'))) {
      for (const line of (await readFile(path.join(directory, file), 'utf8')).split('\n')) {
        const value = Number(line.split(' ')[2]);
        if (line !== '' && !Number.isNaN(value)) latencies.push(value);
      }
    }
    latencies.sort((a, b) => a - b);
    const statementLatencyMs: PgbenchSummary['statementLatencyMs'] = [];
    const perStatement = output.slice(output.indexOf('statement latencies'));
    // Lines: latency (ms), then failures (and retries, with --max-tries), then the command.
    for (const match of perStatement.matchAll(/^\s+([\d.]+)(?:\s+\d+)*\s+(\D.*)$/gm)) {
      const averageMs = Number(match[1]);
      const statement = (match[2] ?? '').trim().slice(0, 80);
      if (!Number.isNaN(averageMs) && statement !== '') statementLatencyMs.push({ statement, averageMs });
    }
    return {
      clients,
      durationS,
      transactions,
      transactionsPerSecond: Math.round(tps),
      failed,
      latencyMs: {
        average: ms(latencies.reduce((sum, value) => sum + value, 0) / Math.max(1, latencies.length)),
        p50: ms(percentile(latencies, 50)),
        p90: ms(percentile(latencies, 90)),
        p99: ms(percentile(latencies, 99)),
        max: ms(latencies.at(-1) ?? 0),
      },
      statementLatencyMs,
      script,
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}
