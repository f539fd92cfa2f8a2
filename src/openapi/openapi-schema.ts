import type { ApiBody } from '@nestjs/swagger';
import { z } from 'zod';

// @nestjs/swagger does not export its SchemaObject type from the package root.
export type SchemaObject = Exclude<
  Extract<Parameters<typeof ApiBody>[0], { schema?: unknown }>['schema'] & object,
  { $ref: string }
>;

/** OpenAPI schema of a zod schema, from zod's own converter, so documentation and validation cannot drift. */
export function openApiSchema(schema: z.ZodType): SchemaObject {
  const { $schema: _ignored, ...jsonSchema } = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
  });
  return jsonSchema as SchemaObject;
}
