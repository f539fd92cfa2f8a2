import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { parseConfig } from './config/config.schema';
import { createRootLogger } from './logging/root-logger';
import { createOpenApiDocument } from './openapi/openapi.setup';

/**
 * The document `/docs-json` serves, without PostgreSQL, Redis or RabbitMQ: the app's modules are made in Nest's
 * preview mode, which resolves the module graph and the controllers' metadata but instantiates no provider, so
 * nothing connects. The HTTP routes are those of APP_ROLE=all (every role that serves HTTP has the same ones);
 * the environment is not read, so the document is the same on every machine.
 * test/client-freshness.e2e-spec.ts checks that it equals what a running app serves.
 */
export async function openApiDocumentWithoutServices(): Promise<OpenAPIObject> {
  const config = parseConfig({ APP_ROLE: 'all' });
  const app = await NestFactory.create(AppModule.register(config, createRootLogger('silent')), new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    return createOpenApiDocument(app);
  } finally {
    await app.close();
  }
}
