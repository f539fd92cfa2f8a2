import type { FastifyInstance } from 'fastify';
import { ApiError } from '../common/errors/api-error';

/**
 * Whether a request target as it arrived on the wire is origin-form (`/path?query`, RFC 9112 section 3.2.1).
 * Absolute-form (`http://host/path`) is what clients send to a forward proxy, authority-form belongs to CONNECT and
 * asterisk-form to `OPTIONS *`; no client of this API sends any of them.
 */
export function isOriginForm(rawUrl: string | undefined): boolean {
  return rawUrl !== undefined && rawUrl.startsWith('/');
}

/**
 * Refuses every request whose target is not origin-form with 400, for the whole server.
 *
 * Fastify's router takes the path out of an absolute-form target and routes it, but `request.url` keeps the target
 * as sent, so any check that compares `request.url` with a path (a hook, a log filter, a rate limit key) would see
 * `http://x/admin/...` while the handler of `/admin/...` runs. The dashboard guard reads the matched route and is
 * not fooled, but refusing the form outright keeps every other URL check honest too. RFC 9112 asks servers to
 * accept absolute-form; this API sits behind no forward proxy, so the refusal costs no real client.
 */
export function refuseNonOriginForm(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', async (request, reply) => {
    if (isOriginForm(request.raw.url)) return;
    const error = new ApiError(
      400,
      'invalid_request_error',
      'request_target_invalid',
      'The request target must be a path starting with /.',
    );
    return reply.status(error.status).send(error.toBody());
  });
}
