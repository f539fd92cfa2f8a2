import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError, apiErrors } from '../common/errors/api-error';
import { secretsEqual } from '../common/crypto/secret-hash';

export const dashboardRoute = '/admin/queues';
const dashboardUser = 'admin';

/**
 * Whether a matched route pattern (Fastify's `request.routeOptions.url`) belongs to the dashboard. Bull Board
 * registers every route it serves (page, API, static assets) in a plugin prefixed with `dashboardRoute`, so the
 * pattern starts with it however the client spelled the URL; a request no route matched has no pattern.
 */
export function isDashboardRoute(routeUrl: string | undefined): boolean {
  if (routeUrl === undefined) return false;
  return routeUrl === dashboardRoute || routeUrl.startsWith(`${dashboardRoute}/`);
}

/** HTTP basic auth: user `admin`, password `adminToken`; both compared in constant time. */
export function dashboardCredentialsValid(authorization: string | undefined, adminToken: string): boolean {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization ?? '');
  const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
  const separator = decoded.indexOf(':');
  const user = separator >= 0 ? decoded.slice(0, separator) : '';
  const password = separator >= 0 ? decoded.slice(separator + 1) : '';
  // Both comparisons always run, so the time taken does not tell which half was wrong.
  const userValid = secretsEqual(user, dashboardUser);
  const passwordValid = secretsEqual(password, adminToken);
  return userValid && passwordValid;
}

/**
 * Basic auth (admin / ADMIN_TOKEN) on every route of the Bull Board dashboard, its API and assets included.
 *
 * The check runs on the route the router matched, not on the URL as sent: the router percent-decodes the path
 * and reads the path out of an absolute-form target before matching, so `/admin/%71ueues/...`,
 * `/%61dmin/queues/...` and `http://x/admin/queues/...` all reach Bull Board while a string comparison on
 * `request.url` sees something else. onRequest hooks run after routing and before any handler, body parsing
 * included; a request no route matched goes to the not-found handler, which never serves the dashboard.
 */
/**
 * What the dashboard needs of the limit on failed authentications per client address (AuthFailureLimiter): the
 * same limit as the API's guards, so the dashboard password cannot be guessed faster than an API key.
 */
export interface DashboardFailureLimit {
  readonly enabled: boolean;
  refuseIfOver(address: string): Promise<void>;
  countFailure(address: string): Promise<void>;
}

function sendApiError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.status(error.status).headers(error.headers).send(error.toBody());
}

/**
 * `failureLimit` is asked for at request time: the limiter is a Nest provider, made after this hook is registered.
 */
export function protectDashboard(
  fastify: FastifyInstance,
  adminToken: string,
  failureLimit: () => DashboardFailureLimit | undefined,
): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (!isDashboardRoute(request.routeOptions.url)) return;
    const limit = failureLimit();
    const limited = limit?.enabled === true;
    try {
      if (limited) await limit.refuseIfOver(request.ip);
      if (dashboardCredentialsValid(request.headers.authorization, adminToken)) return;
      if (limited) await limit.countFailure(request.ip);
    } catch (error) {
      if (error instanceof ApiError) return sendApiError(reply, error);
      throw error;
    }
    const error = apiErrors.adminTokenInvalid();
    return reply
      .status(401)
      .header('WWW-Authenticate', 'Basic realm="queues", charset="UTF-8"')
      .send({
        error: { type: error.type, code: 'dashboard_credentials_invalid', message: 'Dashboard credentials required.' },
      });
  });
}
