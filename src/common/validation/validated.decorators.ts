import { Body, Param, Query } from '@nestjs/common';
import { ApiBody, ApiParam, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { openApiSchema } from '../../openapi/openapi-schema';
import { ZodValidationPipe } from './zod-validation.pipe';

type ParameterDecoratorTarget = Parameters<ParameterDecorator>;

function methodDescriptor(target: object, key: string | symbol | undefined): PropertyDescriptor {
  const descriptor = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
  if (!descriptor) throw new Error('validated decorators apply to method parameters only');
  return descriptor;
}

/** The request body, validated by `schema` and documented in OpenAPI from the same schema. */
export function ValidBody(schema: z.ZodType): ParameterDecorator {
  return (...[target, key, index]: ParameterDecoratorTarget) => {
    Body(new ZodValidationPipe(schema))(target, key, index);
    ApiBody({ schema: openApiSchema(schema) })(target, key as string, methodDescriptor(target, key));
  };
}

/** The query string, validated by an object `schema`; each property becomes a documented query parameter. */
export function ValidQuery(schema: z.ZodObject): ParameterDecorator {
  return (...[target, key, index]: ParameterDecoratorTarget) => {
    Query(new ZodValidationPipe(schema))(target, key, index);
    const descriptor = methodDescriptor(target, key);
    for (const [name, property] of Object.entries(schema.shape)) {
      const optional = (property as z.ZodType).safeParse(undefined).success;
      ApiQuery({ name, required: !optional, schema: openApiSchema(property as z.ZodType) })(
        target,
        key as string,
        descriptor,
      );
    }
  };
}

/** One path parameter validated by `schema` (an id format, say), so malformed ids never reach a lookup. */
export function ValidParam(name: string, schema: z.ZodType): ParameterDecorator {
  return (...[target, key, index]: ParameterDecoratorTarget) => {
    Param(name, new ZodValidationPipe(schema, name))(target, key, index);
    ApiParam({ name, schema: openApiSchema(schema) })(target, key as string, methodDescriptor(target, key));
  };
}
