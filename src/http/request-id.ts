import type { IncomingMessage } from 'node:http';
import { newId } from '../common/ids';

// A caller's own Request-Id is kept when it is a sane token, so ids correlate across services.
const callerRequestIdPattern = /^[A-Za-z0-9._:-]{8,128}$/;

/** Fastify's genReqId: the caller's Request-Id when it is a sane token, a new id otherwise. */
export function requestIdOf(request: IncomingMessage): string {
  const header = request.headers['request-id'];
  return typeof header === 'string' && callerRequestIdPattern.test(header) ? header : newId('req');
}
