import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { z } from 'zod';
import { openApiSchema } from './openapi-schema';

export const errorBodySchema = z.object({
  error: z.object({
    type: z.enum([
      'invalid_request_error',
      'authentication_error',
      'card_error',
      'idempotency_error',
      'rate_limit_error',
      'api_error',
    ]),
    code: z.string(),
    message: z.string(),
    param: z.string().optional(),
  }),
});

/** Swagger UI at /docs and the document at /docs-json, generated from the schemas that validate requests. */
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
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, Error: openApiSchema(errorBodySchema) },
  };
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
