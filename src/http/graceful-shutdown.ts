import type { INestApplication } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { apiErrors } from '../common/errors/api-error';

/**
 * Refuses the requests that arrive once this process has begun to shut down, in the contract's shape: 503
 * service_unavailable with Retry-After, and `Connection: close`, so that the client's retry opens a new connection
 * (to another instance, or to this one started again). Requests already in flight are not touched: they run to their
 * end, and Nest closes the HTTP server, which waits for them, before any module lets go of PostgreSQL or Redis.
 *
 * Fastify's own refusal while it closes (`return503OnClosing`) is turned off in the adapter options: it answers
 * before any hook runs, with a body of its own and no Retry-After.
 */
export class ShutdownGate {
  private draining = false;

  get isDraining(): boolean {
    return this.draining;
  }

  /** Adds the refusal as an onRequest hook; before the app is initialized, as Fastify allows hooks only then. */
  install(fastify: FastifyInstance): this {
    fastify.addHook('onRequest', async (request, reply) => {
      if (!this.draining) return;
      const error = apiErrors.shuttingDown();
      return reply
        .status(error.status)
        .headers({ ...error.headers, connection: 'close' })
        .send(error.toBody());
    });
    return this;
  }

  /** From now on every new request is refused; then the application closes, waiting for the requests in flight. */
  async close(app: INestApplication): Promise<void> {
    this.draining = true;
    await app.close();
  }
}
