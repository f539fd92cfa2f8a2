import type { CacheFamilyCounts } from '../../src/caching/cache-counters';

/** The cache families a cached payment read goes through: its API key, then the payment's response body. */
export type ReadFamily = 'payment' | 'api_key';

/** Counts since the app process started; the benchmark takes differences around each measured run. */
export interface ServerCounters {
  /** PostgreSQL queries the process sent, in total and per statement (whitespace collapsed, truncated). */
  queries: { total: number; byStatement: Record<string, number> };
  /** HotCache's own hit/miss counts per cache family (zero in a process without HTTP routes). */
  cache: Record<ReadFamily, CacheFamilyCounts>;
  /** process.cpuUsage() of the app process, in microseconds. */
  cpu: { user: number; system: number };
}

/** Benchmark → app process. */
export type BenchToServer =
  | { type: 'counters'; requestId: number }
  /** Starts V8's sampling profiler in the app process (node:inspector). */
  | { type: 'profile-start'; requestId: number }
  /** Stops it and writes the profile (.cpuprofile JSON) to `file`. */
  | { type: 'profile-stop'; requestId: number; file: string }
  | { type: 'stop' };

/** App process → benchmark. */
export type ServerToBench =
  | { type: 'ready'; port: number }
  | { type: 'counters'; requestId: number; counters: ServerCounters }
  /** The answer to a profile request: done, or why not. */
  | { type: 'profiled'; requestId: number; error?: string }
  | { type: 'failed'; message: string };
