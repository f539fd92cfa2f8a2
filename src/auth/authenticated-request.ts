import type { FastifyRequest } from 'fastify';

/** A request that passed the bearer guard: every query it makes is scoped to this merchant. */
export interface AuthenticatedRequest extends FastifyRequest {
  merchantId: string;
}
