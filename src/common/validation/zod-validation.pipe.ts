import type { PipeTransform } from '@nestjs/common';
import type { z } from 'zod';
import { apiErrorFromZodIssues } from './zod-issues';

/** Validates one request part with a zod schema and answers in the contract's error shape; nothing runs on failure. */
export class ZodValidationPipe<Schema extends z.ZodType> implements PipeTransform<unknown, z.output<Schema>> {
  constructor(
    private readonly schema: Schema,
    private readonly paramPrefix?: string,
  ) {}

  transform(value: unknown): z.output<Schema> {
    const result = this.schema.safeParse(value ?? {}, { reportInput: true });
    if (!result.success) throw apiErrorFromZodIssues(result.error.issues, this.paramPrefix);
    return result.data;
  }
}
