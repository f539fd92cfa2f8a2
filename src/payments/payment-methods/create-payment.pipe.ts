import { Injectable, type PipeTransform } from '@nestjs/common';
import { ZodValidationPipe } from '../../common/validation/zod-validation.pipe';
import type { CreatePaymentInput } from '../payment.schemas';
import { PaymentMethodRegistry } from './payment-method.registry';

/** Validates the create body against the registered payment methods' schemas (they are known only at runtime). */
@Injectable()
export class CreatePaymentPipe implements PipeTransform<unknown, CreatePaymentInput> {
  constructor(private readonly methods: PaymentMethodRegistry) {}

  transform(value: unknown): CreatePaymentInput {
    // Every option's `type` is a literal (PaymentMethodSchema), which the union's inferred type loses.
    return new ZodValidationPipe(this.methods.createPaymentSchema()).transform(value) as CreatePaymentInput;
  }
}
