import type { FastifyRequest } from 'fastify';

/** A request on its way through the authentication guard: `merchantId` is set once a merchant's key is accepted. */
export interface MerchantRequest extends FastifyRequest {
  merchantId?: string;
}

/** A request the authentication guard admitted on a merchant's key: every query it makes is scoped to this merchant. */
export interface AuthenticatedRequest extends FastifyRequest {
  merchantId: string;
}
