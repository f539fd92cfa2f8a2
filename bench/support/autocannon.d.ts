// autocannon ships no type declarations (and @types/autocannon is not installed): the part of its programmatic
// API the benchmarks use, as documented in node_modules/autocannon/README.md.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    interface Options {
      /** Several: the connections are spread over them in turn (connection i to url i mod n). */
      url: string | string[];
      connections?: number;
      /** Requests per second over all connections at most (bench/ab's moderate rate). */
      overallRate?: number;
      /** Seconds. */
      duration?: number;
      pipelining?: number;
      /** Seconds a request may take before it counts as a timeout. */
      timeout?: number;
      method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
      headers?: Record<string, string>;
      /** The body of every request (a request of `requests` may replace it). */
      body?: string;
      title?: string;
      /** Each connection loops over these requests; each may rewrite its own request before it is sent. */
      requests?: RequestSpec[];
    }

    /** The raw request a connection is about to send (method, path, headers, body). */
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string;
    }

    interface RequestSpec extends Request {
      /** Returns the request to send: `request` changed, or a new object. */
      setupRequest?: (request: Request, context: Record<string, unknown>) => Request;
    }

    /** hdr-histogram-percentiles-obj: latencies in milliseconds (1 ms resolution), request counts per second. */
    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      p2_5: number;
      p50: number;
      p75: number;
      p90: number;
      p97_5: number;
      p99: number;
      p99_9: number;
      p99_99: number;
      p99_999: number;
    }

    interface Result {
      title?: string;
      url: string;
      connections: number;
      pipelining: number;
      /** Seconds. */
      duration: number;
      samples: number;
      start: Date;
      finish: Date;
      errors: number;
      timeouts: number;
      mismatches: number;
      non2xx: number;
      resets: number;
      '2xx': number;
      statusCodeStats: Record<string, { count: number }>;
      /** Only 2xx responses are recorded. */
      latency: Histogram & { totalCount: number };
      requests: Histogram & { total: number; sent: number };
      throughput: Histogram & { total: number };
    }

    interface Instance extends EventEmitter {
      stop(): void;
    }
  }

  function autocannon(
    options: autocannon.Options,
    callback: (error: Error | null, result: autocannon.Result) => void,
  ): autocannon.Instance;

  export = autocannon;
}
