import type { FastifyReply } from 'fastify';
import type { IdempotentResponse } from './idempotency.service';

/** Sends a (possibly replayed) stored response: same status and body, marked when it is a replay. */
export function sendIdempotent(reply: FastifyReply, response: IdempotentResponse): unknown {
  void reply.status(response.status);
  if (response.replayed) void reply.header('Idempotent-Replayed', 'true');
  return response.body;
}
