import { z } from 'zod';
import { isId } from '../common/ids';
import { normalizeCurrency } from '../common/money/currency';
import { amountMinorMax, amountMinorMin } from '../common/money/money.limits';
import { CAPTURE_METHODS, PAYMENT_STATUSES } from './payment-status';
import type { PaymentMethodSchema } from './payment-methods/payment-method.handler';
import { paymentLimits } from './payments.limits';

export const amountSchema = z
  .number()
  .int('must be an integer number of minor units')
  .min(amountMinorMin, `must be at least ${amountMinorMin}`)
  .max(amountMinorMax, `must be at most ${amountMinorMax}`);

export const currencySchema = z
  .string()
  .transform((value, context) => {
    const currency = normalizeCurrency(value);
    if (currency) return currency;
    context.addIssue({ code: 'custom', message: `unknown currency '${value.slice(0, 10)}'` });
    return z.NEVER;
  })
  .meta({ description: 'ISO 4217 code, any case; returned upper case' });

const metadataSchema = z
  .record(
    z.string().min(1).max(paymentLimits.metadataKeyLengthMax),
    z.string().max(paymentLimits.metadataValueLengthMax),
  )
  .refine((value) => Object.keys(value).length <= paymentLimits.metadataKeysMax, {
    message: `at most ${paymentLimits.metadataKeysMax} keys`,
  });

/** What zod says of a literal, so that an unknown type answers as it did when `card` was the only one. */
function unknownTypeMessage(types: readonly string[]): string {
  const quoted = types.map((type) => JSON.stringify(type));
  return quoted.length === 1
    ? `Invalid input: expected ${quoted[0]}`
    : `Invalid option: expected one of ${quoted.join('|')}`;
}

/** `payment_method`: one of the registered methods' schemas, chosen by `type` (400 on `payment_method.type` otherwise). */
export function paymentMethodSchemaOf(methods: readonly PaymentMethodSchema[]) {
  const [first, ...rest] = methods;
  if (!first) throw new Error('no payment method is registered');
  const types = methods.map((method) => method.shape.type.value);
  return z.discriminatedUnion('type', [first, ...rest], {
    error: (issue) =>
      issue.code === 'invalid_union' && issue.note === 'No matching discriminator'
        ? unknownTypeMessage(types)
        : undefined,
  });
}

/** The create body, with `payment_method` one of `methods` (PaymentMethodRegistry builds it from its handlers). */
export function createPaymentSchemaOf(methods: readonly PaymentMethodSchema[]) {
  return z.strictObject({
    amount: amountSchema,
    currency: currencySchema,
    payment_method: paymentMethodSchemaOf(methods),
    capture_method: z.enum(CAPTURE_METHODS).default('automatic'),
    description: z.string().max(paymentLimits.descriptionLengthMax).optional(),
    metadata: metadataSchema.optional(),
  });
}
export type CreatePaymentSchema = ReturnType<typeof createPaymentSchemaOf>;
/** The payment_method is the handler's to read: its own schema's output. */
export type CreatePaymentInput = Omit<z.output<CreatePaymentSchema>, 'payment_method'> & {
  payment_method: { type: string };
};

export function idSchema(prefix: Parameters<typeof isId>[0]) {
  return z.string().refine((value) => isId(prefix, value), { message: `must be an id starting with ${prefix}_` });
}

export const listLimitSchema = z.coerce.number().int().min(1).max(100).default(10);

export const listPaymentsQuerySchema = z.strictObject({
  limit: listLimitSchema,
  starting_after: idSchema('pay').optional(),
  status: z.enum(PAYMENT_STATUSES).optional(),
});
export type ListPaymentsQuery = z.output<typeof listPaymentsQuerySchema>;

export const capturePaymentSchema = z.strictObject({ amount: amountSchema.optional() });
export type CapturePaymentInput = z.output<typeof capturePaymentSchema>;

export const cancelPaymentSchema = z.strictObject({});
