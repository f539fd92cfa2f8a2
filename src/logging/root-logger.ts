import pino, { type DestinationStream, type Logger } from 'pino';

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

/** The one pino instance of the process: Fastify's request logger and Nest's logger both write through it. */
export function createRootLogger(level: string, stream?: DestinationStream): Logger {
  const options = { level, redact: { paths: redactedLogPaths, censor: '[redacted]' } };
  return stream ? pino(options, stream) : pino(options);
}
