import { createServer, type Server } from 'node:http';

/** One span as the test reads it from OTLP/JSON: ids in hex, attributes as plain values. */
export interface CollectedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  scope: string;
  attributes: Record<string, unknown>;
  status: { code?: number; message?: string };
}

export const spanKind = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: OtlpValue[] };
}

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: { key: string; value: OtlpValue }[];
  status?: { code?: number; message?: string };
}

interface OtlpRequest {
  resourceSpans?: { scopeSpans?: { scope?: { name?: string }; spans?: OtlpSpan[] }[] }[];
}

function valueOf(value: OtlpValue): unknown {
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(valueOf);
  return undefined;
}

/** OTLP/JSON ids are hex (the spec), but a base64 id (protobuf's JSON mapping) is read too. */
function hexId(id: string | undefined, length: number): string {
  if (!id) return '';
  if (new RegExp(`^[0-9a-f]{${length}}$`).test(id)) return id;
  return Buffer.from(id, 'base64').toString('hex');
}

/**
 * A tiny OTLP/HTTP trace receiver for OTEL_EXPORTER_OTLP_PROTOCOL=http/json: the app under test exports its spans
 * here (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `tracesUrl`), and the test reads them.
 */
export class OtlpCollector {
  readonly spans: CollectedSpan[] = [];
  /** The paths of requests other than trace exports (`/v1/metrics`, `/v1/logs`). */
  readonly otherRequests: string[] = [];
  private listeningPort = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<OtlpCollector> {
    const collector: OtlpCollector = new OtlpCollector(
      createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          if (request.method === 'POST' && request.url === '/v1/traces') {
            collector.take(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpRequest);
            response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
          } else {
            collector.otherRequests.push(request.url ?? '');
            response.writeHead(404).end();
          }
        });
      }),
    );
    await new Promise<void>((resolve) => collector.server.listen(0, '127.0.0.1', resolve));
    collector.listeningPort = (collector.server.address() as { port: number }).port;
    return collector;
  }

  /** The OTLP/HTTP base address (OTEL_EXPORTER_OTLP_ENDPOINT): traces go to `/v1/traces` under it. */
  get url(): string {
    return `http://127.0.0.1:${this.listeningPort}`;
  }

  /** The spans of one trace, as received so far. */
  trace(traceId: string): CollectedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private take(request: OtlpRequest): void {
    for (const resourceSpans of request.resourceSpans ?? []) {
      for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          this.spans.push({
            traceId: hexId(span.traceId, 32),
            spanId: hexId(span.spanId, 16),
            parentSpanId: hexId(span.parentSpanId, 16),
            name: span.name,
            kind: span.kind ?? 0,
            scope: scopeSpans.scope?.name ?? '',
            attributes: Object.fromEntries((span.attributes ?? []).map(({ key, value }) => [key, valueOf(value)])),
            status: span.status ?? {},
          });
        }
      }
    }
  }
}

/**
 * What keeps `spans` from being one tree: spans whose parent is not among them, and the roots when there is not
 * exactly one. A root is a span without a parent, or whose parent is `remoteParentId` (the caller's span, in a
 * process that exports nothing here).
 */
export function treeDefects(spans: readonly CollectedSpan[], remoteParentId = ''): string[] {
  const ids = new Set(spans.map((span) => span.spanId));
  const roots = spans.filter((span) => span.parentSpanId === remoteParentId);
  const orphans = spans.filter((span) => span.parentSpanId !== remoteParentId && !ids.has(span.parentSpanId));
  return [
    ...(roots.length === 1 ? [] : [`${roots.length} roots: ${roots.map((span) => span.name).join(', ')}`]),
    ...orphans.map((span) => `${span.name} (${span.spanId}) has no parent ${span.parentSpanId} in the trace`),
  ];
}
