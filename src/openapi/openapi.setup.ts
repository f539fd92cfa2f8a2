import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { apiComponents } from './api-components';

export { errorBodySchema } from './error-body.schema';

/**
 * Swagger UI at /docs and the document at /docs-json, generated from the schemas that validate requests and the
 * named schemas that type responses (apiComponent), so neither can drift from the code.
 */
export function setupOpenApi(app: INestApplication): void {
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
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
