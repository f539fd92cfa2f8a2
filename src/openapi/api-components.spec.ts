import { z } from 'zod';
import { listSchemaOf } from '../common/pagination';
import { ApiComponents } from './api-components';

describe('ApiComponents', () => {
  it('lists each named schema once, by name, with the schemas it contains referred to by $ref', () => {
    const components = new ApiComponents();
    const widget = components.add('Widget', z.strictObject({ id: z.string(), size: z.number().int().nullable() }));
    components.add('WidgetList', listSchemaOf(widget));
    components.add('Anchor', z.strictObject({ widget }));
    const schemas = components.schemas();
    expect(Object.keys(schemas)).toEqual(['Anchor', 'Widget', 'WidgetList']);
    expect(schemas.WidgetList).toEqual({
      type: 'object',
      properties: {
        object: { type: 'string', enum: ['list'] },
        data: { type: 'array', items: { $ref: '#/components/schemas/Widget' } },
        has_more: expect.objectContaining({ type: 'boolean' }) as object,
      },
      required: ['object', 'data', 'has_more'],
      additionalProperties: false,
    });
    expect(schemas.Anchor!.properties).toEqual({ widget: { $ref: '#/components/schemas/Widget' } });
    // OpenAPI 3.0: nullable rather than a type list, and no JSON Schema $id.
    expect(schemas.Widget!.properties!.size).toMatchObject({ type: 'integer', nullable: true });
    expect(JSON.stringify(schemas)).not.toContain('$id');
  });

  it('closes objects to unknown fields unless the schema says otherwise', () => {
    const components = new ApiComponents();
    components.add('Closed', z.object({ id: z.string() }));
    components.add('Open', z.object({ id: z.string() }).catchall(z.unknown()));
    const schemas = components.schemas();
    expect(schemas.Closed!.additionalProperties).toBe(false);
    expect(schemas.Open!.additionalProperties).toEqual({});
    expect(schemas.Closed!.required).toEqual(['id']);
  });

  it('gives the same document whatever order the schemas were named in', () => {
    const shape = () => z.strictObject({ id: z.string() });
    const first = new ApiComponents();
    const second = new ApiComponents();
    first.add('Beta', shape());
    first.add('Alpha', shape());
    second.add('Alpha', shape());
    second.add('Beta', shape());
    expect(JSON.stringify(first.schemas())).toBe(JSON.stringify(second.schemas()));
  });

  it('documents what a response holds: the output of transforms and defaults', () => {
    const components = new ApiComponents();
    components.add('Defaulted', z.strictObject({ currency: z.string().default('USD') }));
    expect(components.schemas().Defaulted!.required).toEqual(['currency']);
  });

  it('refers to a named schema and refuses one that is not named', () => {
    const components = new ApiComponents();
    const named = components.add('Named', z.strictObject({}));
    expect(components.refOf(named)).toEqual({ $ref: '#/components/schemas/Named' });
    expect(() => components.refOf(z.strictObject({}))).toThrow('not a component');
  });

  it('refuses a malformed name, a name taken, and a schema named twice', () => {
    const components = new ApiComponents();
    const schema = components.add('Taken', z.strictObject({}));
    expect(() => components.add('payment', z.strictObject({}))).toThrow('PascalCase');
    expect(() => components.add('Payment-List', z.strictObject({}))).toThrow('PascalCase');
    expect(() => components.add('Taken', z.strictObject({}))).toThrow('declared twice');
    expect(() => components.add('Other', schema)).toThrow('already the component Taken');
  });
});
