import type { FastifyInstance } from 'fastify';
import { apiErrors } from '../common/errors/api-error';
import { secretsEqual } from '../auth/secret-hash';

export const dashboardRoute = '/admin/queues';
const dashboardUser = 'admin';

/**
 * HTTP basic auth (admin / ADMIN_TOKEN) on every path of the Bull Board dashboard, its API and assets included,
 * checked before routing so that no sub-route can be reached without it.
 */
export function protectDashboard(fastify: FastifyInstance, adminToken: string): void {
  fastify.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (path !== dashboardRoute && !path.startsWith(`${dashboardRoute}/`)) return;
    const header = request.headers.authorization ?? '';
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
    const separator = decoded.indexOf(':');
    const user = separator >= 0 ? decoded.slice(0, separator) : '';
    const password = separator >= 0 ? decoded.slice(separator + 1) : '';
    if (secretsEqual(user, dashboardUser) && secretsEqual(password, adminToken)) return;
    const error = apiErrors.adminTokenInvalid();
    return reply
      .status(401)
      .header('WWW-Authenticate', 'Basic realm="queues", charset="UTF-8"')
      .send({
        error: { type: error.type, code: 'dashboard_credentials_invalid', message: 'Dashboard credentials required.' },
      });
  });
}
