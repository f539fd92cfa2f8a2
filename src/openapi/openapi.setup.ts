import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { apiComponents } from './api-components';

export { errorBodySchema } from './error-body.schema';

/**
 * The OpenAPI document of the app's routes, generated from the schemas that validate requests and the named schemas
 * that type responses (apiComponent), so neither can drift from the code. Reads only the controllers' metadata and
 * those schemas, so it works on an app made in Nest's preview mode too (src/openapi-document.ts).
 */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Payments API')
    .setDescription(
      'Card payments, captures, refunds, balances and events. Amounts are integers in minor units. ' +
        'Each merchant may make RATE_LIMIT_PER_SECOND requests per second (default 100); over it, ' +
        '429 `rate_limited` with `Retry-After`.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Secret API key: sk_test_…' }, 'secret_key')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Admin-Token' }, 'admin_token')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  const schemas = { ...document.components?.schemas, ...apiComponents.schemas() };
  document.components = {
    ...document.components,
    schemas: Object.fromEntries(
      Object.keys(schemas)
        .sort()
        .map((name) => [name, schemas[name]!]),
    ),
  };
  return document;
}

/** Swagger UI at /docs and the document at /docs-json. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, createOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
}
