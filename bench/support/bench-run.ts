import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LoadSettings } from './measure';

/** The PostgreSQL server the benchmarks make their scratch databases on. */
export const postgresServerUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';

export function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

export function nonNegativeInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

/** `1` or `0`. */
export function flag(name: string, fallback: boolean): boolean {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw !== '0' && raw !== '1') throw new Error(`${name} must be 0 or 1, got "${raw}"`);
  return raw === '1';
}

/** BENCH_CONNECTIONS, BENCH_DURATION_S and BENCH_WARMUP_S, with the defaults every benchmark here uses. */
export function loadSettingsFromEnvironment(): LoadSettings {
  return {
    connections: positiveInteger('BENCH_CONNECTIONS', 50),
    durationS: positiveInteger('BENCH_DURATION_S', 10),
    warmupS: positiveInteger('BENCH_WARMUP_S', 3),
  };
}

/** One benchmark run's throwaway names (database, queue prefix, events exchange and queue) and the app's
 * environment on them: every one removed again at the end of the run. */
export interface ScratchRun {
  databaseName: string;
  queuePrefix: string;
  adminToken: string;
  environment: NodeJS.ProcessEnv;
}

export function scratchRun(): ScratchRun {
  const runId = randomBytes(4).toString('hex');
  const databaseName = `payments_bench_${runId}`;
  const queuePrefix = `bench-${runId}`;
  const adminToken = `bench-admin-${randomBytes(16).toString('hex')}`;
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    APP_ROLE: 'all',
    HOST: '127.0.0.1',
    PORT: '0',
    ADMIN_TOKEN: adminToken,
    DATABASE_URL: `${postgresServerUrl}/${databaseName}`,
    QUEUE_PREFIX: queuePrefix,
    EVENTS_EXCHANGE: `${queuePrefix}.events`,
    WEBHOOK_EVENTS_QUEUE: `${queuePrefix}.webhooks`,
    CARD_NETWORK_LATENCY_MS: '1',
    // API.md: 0 turns the per-merchant rate limit off, for benchmarks (one merchant sends every request here).
    RATE_LIMIT_PER_SECOND: '0',
  };
  return { databaseName, queuePrefix, adminToken, environment };
}

/** Writes beside the final file first, so that an interrupted write never leaves half a result. */
export async function writeAtomically(file: string, content: string): Promise<void> {
  const temporary = `${file}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, file);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The commit the measured source is at, and the files of src/ changed from it (a shared working tree). */
export function sourceTreeState(): { commit: string; uncommitted: string[] } {
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: path.join(__dirname, '..', '..'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  try {
    return {
      commit: git('rev-parse', '--short', 'HEAD').trim(),
      uncommitted: git('status', '--short', '--', 'src').split('\n').filter(Boolean),
    };
  } catch {
    return { commit: 'unknown', uncommitted: [] };
  }
}
