import { z } from 'zod';
import type { SchemaObject } from './openapi-schema';

// Generated clients name their types after these (openapi-typescript's components['schemas']['Payment']).
const componentNameFormat = /^[A-Z][A-Za-z0-9]*$/;

export interface ComponentRef {
  $ref: string;
}

/**
 * The response objects of the API, each a zod schema with a stable name: the presenter's type is `z.output` of the
 * schema, and the OpenAPI document lists the same schema once under `components.schemas.<name>`, which every
 * response refers to by `$ref`. A component used inside another one (PaymentList's items) is referred to the same
 * way, so each name appears once in the document.
 */
export class ApiComponents {
  private readonly registry = z.registry<{ id: string }>();
  private readonly names = new Set<string>();

  /** Names `schema`; refuses a malformed name, a name taken by another schema, or a schema named twice. */
  add<Schema extends z.ZodType>(name: string, schema: Schema): Schema {
    if (!componentNameFormat.test(name)) {
      throw new Error(`component name ${JSON.stringify(name)} must be PascalCase letters and digits`);
    }
    const existing = this.registry.get(schema)?.id;
    if (existing !== undefined) throw new Error(`this schema is already the component ${existing}`);
    if (this.names.has(name)) throw new Error(`component ${name} is declared twice`);
    this.names.add(name);
    this.registry.add(schema, { id: name });
    return schema;
  }

  /** The `$ref` of a named schema; throws for a schema that is not a component (a response must name its schema). */
  refOf(schema: z.ZodType): ComponentRef {
    const name = this.registry.get(schema)?.id;
    if (name === undefined) throw new Error('this schema is not a component: name it with apiComponent(name, schema)');
    return { $ref: componentRef(name) };
  }

  /**
   * Every component as an OpenAPI 3.0 schema, by name in alphabetical order (the document is the same whatever
   * order the modules were imported in), from zod's own converter as the response (`output`) type.
   */
  schemas(): Record<string, SchemaObject> {
    const { schemas } = z.toJSONSchema(this.registry, {
      target: 'openapi-3.0',
      io: 'output',
      unrepresentable: 'any',
      uri: componentRef,
    });
    const named: Record<string, SchemaObject> = {};
    for (const name of Object.keys(schemas).sort()) {
      // `$id` (the component's own URI) and `$schema` are JSON Schema keywords that OpenAPI 3.0 does not allow.
      const { $id: _id, $schema: _schema, ...schema } = schemas[name]!;
      named[name] = schema as SchemaObject;
    }
    return named;
  }
}

function componentRef(name: string): string {
  return `#/components/schemas/${name}`;
}

/** The application's components: each module names the schemas of the objects it answers with. */
export const apiComponents = new ApiComponents();

/** Names a response schema (`apiComponent('Payment', z.object(…))`) and returns it. */
export function apiComponent<Schema extends z.ZodType>(name: string, schema: Schema): Schema {
  return apiComponents.add(name, schema);
}
