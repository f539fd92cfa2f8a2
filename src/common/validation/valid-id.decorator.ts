import { Param, type PipeTransform } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import { apiErrors } from '../errors/api-error';
import { type IdPrefix, isId } from '../ids';

class IdPipe implements PipeTransform<unknown, string> {
  constructor(
    private readonly prefix: IdPrefix,
    private readonly objectName: string,
  ) {}

  transform(value: unknown): string {
    // API.md: a malformed id is answered exactly like a missing object, and costs no lookup.
    if (!isId(this.prefix, value)) throw apiErrors.resourceMissing(this.objectName, String(value).slice(0, 64));
    return value;
  }
}

/** A path id of the given type; anything else is a 404 before any lookup. */
export function ValidId(prefix: IdPrefix, objectName: string, name = 'id'): ParameterDecorator {
  return (target, key, index) => {
    Param(name, new IdPipe(prefix, objectName))(target, key, index);
    const descriptor = key === undefined ? undefined : Object.getOwnPropertyDescriptor(target, key);
    if (descriptor) {
      ApiParam({ name, schema: { type: 'string', pattern: `^${prefix}_[0-9A-Za-z]{24}$` } })(
        target,
        key as string,
        descriptor,
      );
    }
  };
}
