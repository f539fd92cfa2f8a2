/**
 * An open-loop load: requests sent on a fixed schedule — the i-th at start + i / rate — whatever the answers, each
 * one's latency measured from its scheduled send time. A slow server cannot slow the load down (autocannon, closed
 * loop, waits for an answer before sending again and so measures a slow server at a lower rate), and a request the
 * driver itself sends late still counts from when it should have gone (no coordinated omission).
 *
 * undici's Pool keeps up to `connections` keep-alive connections; a request finding them all busy waits in the
 * pool's queue, its wait counted in its latency like any other. With several origins, one Pool each.
 */
import { Pool } from 'undici';

export interface OpenLoopOptions {
  /**
   * `http://host:port`; several (the app's api processes): the requests go to each in turn, a round-robin load
   * balancer, each origin with its share of the connections.
   */
  origin: string | readonly string[];
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Headers made anew for every request (an Idempotency-Key each), added to `headers`. */
  perRequestHeaders?: () => Record<string, string>;
  ratePerSecond: number;
  /** Sent at the rate before the measured requests and not counted (connections opened, pools filled). */
  warmupS: number;
  durationS: number;
  connections: number;
  /** Past this a request counts as an error (timeout). */
  timeoutMs: number;
  /** Every measured answer as it arrives: when its request was scheduled (performance.now() ms), status, body. */
  onAnswer?: (answer: { scheduledAtMs: number; status: number; body: string }) => void;
  /** Checked once a second while sending: a reason makes the run stop sending (the step has failed already). */
  giveUp?: (progress: OpenLoopProgress) => string | undefined;
}

export interface OpenLoopProgress {
  elapsedS: number;
  /** Requests sent so far. */
  scheduled: number;
  /** Requests sent so far whose latency exceeds `ms`: answered so, or still unanswered after it. */
  slowerThan: (ms: number) => number;
}

export interface OpenLoopResult {
  ratePerSecond: number;
  durationS: number;
  /** Measured requests sent (fewer than rate × duration if the run gave up or was stopped). */
  scheduled: number;
  /** 2xx answers per second of the measured schedule sent. */
  answeredPerSecond: number;
  statusCodes: Record<string, number>;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  errorMessages: string[];
  /** From the scheduled send time to the end of the answer, every measured answered request (2xx or not). */
  latencyMs: { average: number; p50: number; p90: number; p99: number; p99_9: number; max: number };
  /** How late the driver issued requests against their schedule (its own event loop falling behind). */
  sendLagMs: { p99: number; max: number };
  /** The most requests in flight (sent, not answered) at once. */
  inFlightMax: number;
  /** Why the run stopped sending before the end of its schedule, if it did. */
  gaveUp?: string;
}

/** The run in progress, so that an interrupted benchmark can stop it. */
let stopCurrent: (() => void) | undefined;

/** Set once the benchmark is interrupted: no run starts after. */
let stopRequested = false;

export function stopOpenLoop(): void {
  stopRequested = true;
  stopCurrent?.();
}

const errorMessagesKept = 5;
/** The first request goes this long after the run starts, once the pool and the timer are set up. */
const startDelayMs = 20;

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  if (stopRequested) throw new Error('interrupted');
  const origins = typeof options.origin === 'string' ? [options.origin] : options.origin;
  if (origins.length === 0) throw new Error('runOpenLoop: no origin');
  const pools = origins.map(
    (origin) =>
      new Pool(origin, {
        connections: Math.max(1, Math.ceil(options.connections / origins.length)),
        pipelining: 1,
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      }),
  );
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers = body === undefined ? options.headers : { ...options.headers, 'content-type': 'application/json' };
  const warmups = Math.floor(options.ratePerSecond * options.warmupS);
  const total = warmups + Math.floor(options.ratePerSecond * options.durationS);
  const intervalMs = 1000 / options.ratePerSecond;
  const latencies: number[] = [];
  const sendLags: number[] = [];
  const statusCodes: Record<string, number> = {};
  const errorMessages: string[] = [];
  let errors = 0;
  let non2xx = 0;
  let answered2xx = 0;
  /** The scheduled send times of the requests in flight. */
  const inFlight = new Set<number>();
  let inFlightMax = 0;
  let next = 0;
  let stopped = false;
  let gaveUp: string | undefined;
  const requests: Promise<void>[] = [];

  const send = async (scheduledAtMs: number, measured: boolean, pool: Pool): Promise<void> => {
    if (measured) {
      inFlight.add(scheduledAtMs);
      inFlightMax = Math.max(inFlightMax, inFlight.size);
    }
    try {
      const response = await pool.request({
        path: options.path,
        method: options.method,
        headers: options.perRequestHeaders ? { ...headers, ...options.perRequestHeaders() } : headers,
        body,
      });
      const text = await response.body.text();
      if (!measured) return;
      latencies.push(performance.now() - scheduledAtMs);
      statusCodes[response.statusCode] = (statusCodes[response.statusCode] ?? 0) + 1;
      if (response.statusCode >= 200 && response.statusCode < 300) answered2xx += 1;
      else non2xx += 1;
      options.onAnswer?.({ scheduledAtMs, status: response.statusCode, body: text });
    } catch (error) {
      if (!measured) return;
      errors += 1;
      if (errorMessages.length < errorMessagesKept) {
        errorMessages.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      }
    } finally {
      inFlight.delete(scheduledAtMs);
    }
  };

  const startMs = performance.now() + startDelayMs;
  let lastCheckS = 0;
  await new Promise<void>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    stopCurrent = () => {
      stopped = true;
      clearTimeout(timer);
      resolve();
    };
    const tick = () => {
      const now = performance.now();
      while (next < total && startMs + next * intervalMs <= now) {
        const scheduledAtMs = startMs + next * intervalMs;
        const measured = next >= warmups;
        if (measured) sendLags.push(now - scheduledAtMs);
        requests.push(send(scheduledAtMs, measured, pools[next % pools.length]!));
        next += 1;
      }
      const elapsedS = (now - startMs) / 1000 - options.warmupS;
      if (options.giveUp && elapsedS - lastCheckS >= 1) {
        lastCheckS = elapsedS;
        gaveUp = options.giveUp({
          elapsedS,
          scheduled: next - warmups,
          slowerThan: (ms) => {
            let slower = errors;
            for (const latency of latencies) if (latency > ms) slower += 1;
            for (const scheduledAtMs of inFlight) if (now - scheduledAtMs > ms) slower += 1;
            return slower;
          },
        });
      }
      if (next >= total || gaveUp !== undefined || stopped) {
        resolve();
        return;
      }
      timer = setTimeout(tick, Math.max(0, startMs + next * intervalMs - performance.now()));
    };
    timer = setTimeout(tick, startDelayMs);
  });
  stopCurrent = () => void Promise.all(pools.map((pool) => pool.destroy()));
  try {
    await Promise.all(requests);
  } finally {
    stopCurrent = undefined;
    await Promise.all(pools.map((pool) => pool.close().catch(() => undefined)));
  }

  latencies.sort((a, b) => a - b);
  sendLags.sort((a, b) => a - b);
  const scheduled = Math.max(0, next - warmups);
  const scheduleS = Math.max(scheduled * intervalMs, intervalMs) / 1000;
  return {
    ratePerSecond: options.ratePerSecond,
    durationS: options.durationS,
    scheduled,
    answeredPerSecond: Math.round(answered2xx / scheduleS),
    statusCodes,
    non2xx,
    errors,
    errorMessages,
    latencyMs: {
      average: round2(latencies.reduce((sum, value) => sum + value, 0) / Math.max(1, latencies.length)),
      p50: round2(percentile(latencies, 50)),
      p90: round2(percentile(latencies, 90)),
      p99: round2(percentile(latencies, 99)),
      p99_9: round2(percentile(latencies, 99.9)),
      max: round2(latencies.at(-1) ?? 0),
    },
    sendLagMs: { p99: round2(percentile(sendLags, 99)), max: round2(sendLags.at(-1) ?? 0) },
    inFlightMax,
    ...(gaveUp !== undefined ? { gaveUp } : {}),
  };
}
