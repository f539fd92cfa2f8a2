import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { isTracingOn, traceLogFields } from '../telemetry/trace-context';

// Secrets and card data never reach a log line, whatever a future log call passes in.
export const redactedLogPaths = [
  'req.headers.authorization',
  'req.headers["x-admin-token"]',
  'req.headers.cookie',
  'req.body.payment_method',
  'body.payment_method',
  'payment_method',
  '*.payment_method',
  '*.*.payment_method',
  'number',
  '*.number',
  'cvc',
  '*.cvc',
];

/**
 * The one pino instance of the process: Fastify's request logger and Nest's logger both write through it. With
 * tracing on, a line written while a span is active carries its `trace_id` and `span_id` (a mixin, called per line:
 * with tracing off there is none).
 */
export function createRootLogger(level: string, stream?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    redact: { paths: redactedLogPaths, censor: '[redacted]' },
    ...(isTracingOn() ? { mixin: traceLogFields } : {}),
  };
  return stream ? pino(options, stream) : pino(options);
}
