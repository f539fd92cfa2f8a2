// Loaded only when tracing is on (tracing.ts): the SDK and the instrumentations, configured from the standard OTEL_*
// variables by the SDK itself (exporter, protocol, endpoint, headers, sampler, propagators, resource).
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** The service name when OTEL_SERVICE_NAME does not give one. */
export const defaultServiceName = 'payments-backend';

// Probes and scrapes every few seconds: a trace each would bury the payments' traces.
const untracedPathPrefixes = ['/health', '/metrics'];

function isUntracedPath(url: string | undefined): boolean {
  return url !== undefined && untracedPathPrefixes.some((prefix) => url === prefix || url.startsWith(`${prefix}/`));
}

export interface RunningTracing {
  shutdown(): Promise<void>;
}

/**
 * Starts the SDK with the instrumentations of the write path. Spans are kept to work that has a parent where the
 * library runs all the time on its own (the relay's polls, BullMQ's blocking reads): those would be a trace each.
 * No statement parameter or Redis argument is recorded (card data, keys and tokens stay out of spans): pg records
 * the statement text only (enhancedDatabaseReporting off), ioredis the command name only.
 */
export function startTracingSdk(
  environment: Readonly<Record<string, string | undefined>>,
  spanProcessors?: SpanProcessor[],
): RunningTracing {
  const sdk = new NodeSDK({
    ...(environment.OTEL_SERVICE_NAME?.trim() ? {} : { serviceName: defaultServiceName }),
    ...(spanProcessors ? { spanProcessors } : {}),
    // Traces only: the SDK would otherwise also push its metrics and logs over OTLP by default. The service's metrics
    // are Prometheus' (/metrics); OTEL_METRICS_EXPORTER or OTEL_LOGS_EXPORTER turn the SDK's on when set.
    ...(environment.OTEL_METRICS_EXPORTER?.trim() ? {} : { metricReaders: [] }),
    ...(environment.OTEL_LOGS_EXPORTER?.trim() ? {} : { logRecordProcessors: [] }),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => isUntracedPath(request.url) }),
      new FastifyOtelInstrumentation({
        registerOnInitialization: true,
        ignorePaths: (route) => isUntracedPath(route.url),
        // A span per request and per handler; one per lifecycle hook would double the spans of every request.
        instrumentHooks: false,
      }),
      new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false }),
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (command) => command }),
      new AmqplibInstrumentation(),
    ],
  });
  sdk.start();
  return sdk;
}
