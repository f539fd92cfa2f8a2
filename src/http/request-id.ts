import type { IncomingMessage } from 'node:http';
import { newId } from '../common/ids';

// A caller's own Request-Id is kept when it is a sane token, so ids correlate across services.
const callerRequestIdPattern = /^[A-Za-z0-9._:-]{8,128}$/;

/** Fastify's genReqId: also stored on the raw request, where pino-http reads `req.id` for the log binding. */
export function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['request-id'];
  const id = typeof header === 'string' && callerRequestIdPattern.test(header) ? header : newId('req');
  (request as IncomingMessage & { id?: string }).id = id;
  return id;
}
