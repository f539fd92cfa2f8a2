import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
  headers?: Record<string, string>;
  /** Paths of the URL's origin, one picked at random for every request instead of the URL's own path. */
  paths?: readonly string[];
}

/** What one autocannon run measured, in the units of the report: requests per second and milliseconds. */
export interface LoadSummary {
  durationS: number;
  requests: { total: number; perSecond: { average: number; stddev: number; min: number; max: number } };
  /** Of 2xx responses only (autocannon records no others), 1 ms resolution, values truncated to whole ms. */
  latencyMs: { average: number; p50: number; p90: number; p97_5: number; p99: number; p99_9: number; max: number };
  statusCodes: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/** The run in progress, so that an interrupted benchmark can stop it. */
let current: autocannon.Instance | undefined;

export function stopLoad(): void {
  current?.stop();
}

function randomPathOf(paths: readonly string[]) {
  return (request: autocannon.Request): autocannon.Request => ({
    ...request,
    path: paths[Math.floor(Math.random() * paths.length)],
  });
}

/** One autocannon run: `connections` keep-alive connections, one request in flight each, for `durationS`. */
export function runLoad(options: LoadOptions): Promise<LoadSummary> {
  return new Promise((resolve, reject) => {
    current = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationS,
        pipelining: 1,
        headers: options.headers,
        ...(options.paths ? { requests: [{ setupRequest: randomPathOf(options.paths) }] } : {}),
      },
      (error, result) => {
        current = undefined;
        if (error) reject(error);
        else resolve(summarize(result));
      },
    );
  });
}

function summarize(result: autocannon.Result): LoadSummary {
  const { latency, requests } = result;
  return {
    durationS: result.duration,
    requests: {
      total: requests.total,
      perSecond: { average: requests.average, stddev: requests.stddev, min: requests.min, max: requests.max },
    },
    latencyMs: {
      average: latency.average,
      p50: latency.p50,
      p90: latency.p90,
      p97_5: latency.p97_5,
      p99: latency.p99,
      p99_9: latency.p99_9,
      max: latency.max,
    },
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, { count }]) => [code, count])),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
