import autocannon from 'autocannon';

export interface LoadOptions {
  /** Several (the app's api processes): autocannon spreads its connections over them in turn, a load balancer. */
  url: string | readonly string[];
  connections: number;
  durationS: number;
  headers?: Record<string, string>;
  /** Paths of the URL's origin, one picked at random for every request instead of the URL's own path. */
  paths?: readonly string[];
  /** GET unless said; a body is sent as JSON. */
  method?: 'GET' | 'POST';
  body?: unknown;
  /** Headers made anew for every request (an Idempotency-Key each), added to `headers`. */
  perRequestHeaders?: () => Record<string, string>;
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
/** Set once the benchmark is interrupted: no run starts after. */
let stopped = false;

export function stopLoad(): void {
  stopped = true;
  current?.stop();
}

/** The per-request rewrite of `options` (a random path, fresh headers), or undefined when every request is alike. */
function setupOf(options: LoadOptions): ((request: autocannon.Request) => autocannon.Request) | undefined {
  const { paths, perRequestHeaders } = options;
  if (!paths && !perRequestHeaders) return undefined;
  return (request) => ({
    ...request,
    ...(paths ? { path: paths[Math.floor(Math.random() * paths.length)] } : {}),
    ...(perRequestHeaders ? { headers: { ...request.headers, ...perRequestHeaders() } } : {}),
  });
}

/** One autocannon run: `connections` keep-alive connections, one request in flight each, for `durationS`. */
export function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const setupRequest = setupOf(options);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers = body === undefined ? options.headers : { ...options.headers, 'content-type': 'application/json' };
  if (stopped) return Promise.reject(new Error('interrupted'));
  return new Promise((resolve, reject) => {
    current = autocannon(
      {
        url: typeof options.url === 'string' ? options.url : [...options.url],
        connections: options.connections,
        duration: options.durationS,
        pipelining: 1,
        method: options.method ?? 'GET',
        headers,
        ...(body === undefined ? {} : { body }),
        ...(setupRequest ? { requests: [{ setupRequest }] } : {}),
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
