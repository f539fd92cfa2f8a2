import { z } from 'zod';
import { cardPaymentMethodSchema } from '../card/card.schemas';
import { createPaymentSchemaOf, paymentMethodSchemaOf } from '../payment.schemas';
import { apiErrorFromZodIssues } from '../../common/validation/zod-issues';
import { paymentMethodCatalog } from './payment-method-catalog';
import { PaymentMethodHandler, type PaymentMethodSchema } from './payment-method.handler';

const walletSchema = z.strictObject({
  type: z.literal('wallet'),
  wallet: z.strictObject({ account: z.string().min(1) }),
});

function handler(type: string, schema: PaymentMethodSchema): PaymentMethodHandler {
  return new (class extends PaymentMethodHandler {
    readonly type = type;
    readonly schema = schema;
    prepare = () => Promise.resolve({});
    instrument = () => Promise.resolve({ ready: false as const, reason: 'none' });
    authorize = () => Promise.reject(new Error('not used'));
    close = () => Promise.resolve(null);
  })();
}

const card = { number: '4242 4242 4242 4242', exp_month: 12, exp_year: new Date().getUTCFullYear() + 2, cvc: '123' };
const body = (paymentMethod: unknown) => ({ amount: 100, currency: 'usd', payment_method: paymentMethod });

function errorOf(schema: z.ZodType, value: unknown) {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) throw new Error('expected a validation error');
  const error = apiErrorFromZodIssues(result.error.issues);
  return { param: error.param, code: error.code, message: error.message };
}

describe('paymentMethodCatalog', () => {
  it('keys the handlers by type, sorted, and keeps one handler found twice', () => {
    const wallet = handler('wallet', walletSchema);
    const cardHandler = handler('card', cardPaymentMethodSchema);
    const catalog = paymentMethodCatalog([wallet, cardHandler, wallet]);
    expect([...catalog.keys()]).toEqual(['card', 'wallet']);
    expect(catalog.get('wallet')).toBe(wallet);
  });

  it('refuses two handlers for one type, a schema of another type, and no handler at all', () => {
    expect(() =>
      paymentMethodCatalog([handler('card', cardPaymentMethodSchema), handler('card', cardPaymentMethodSchema)]),
    ).toThrow("payment method 'card' has two handlers");
    expect(() => paymentMethodCatalog([handler('wallet', cardPaymentMethodSchema)])).toThrow(
      "its schema's type is 'card'",
    );
    expect(() => paymentMethodCatalog([])).toThrow('no payment method handler');
  });
});

describe('the create body built from the methods', () => {
  const cardOnly = createPaymentSchemaOf([cardPaymentMethodSchema]);
  const both = createPaymentSchemaOf([cardPaymentMethodSchema, walletSchema]);

  it('parses each method with its own schema', () => {
    expect(both.parse(body({ type: 'card', card })).payment_method).toEqual({
      type: 'card',
      card: { ...card, number: '4242424242424242' },
    });
    expect(both.parse(body({ type: 'wallet', wallet: { account: 'a' } })).payment_method).toEqual({
      type: 'wallet',
      wallet: { account: 'a' },
    });
    expect(both.parse(body({ type: 'card', card })).capture_method).toBe('automatic');
  });

  it('answers an unknown or missing type as the single card literal did', () => {
    const expected = {
      param: 'payment_method.type',
      code: 'parameter_invalid',
      message: 'Invalid payment_method.type: Invalid input: expected "card"',
    };
    expect(errorOf(cardOnly, body({ type: 'bank' }))).toEqual(expected);
    expect(errorOf(cardOnly, body({ card }))).toEqual(expected);
    expect(errorOf(both, body({ type: 'bank' }))).toEqual({
      ...expected,
      message: 'Invalid payment_method.type: Invalid option: expected one of "card"|"wallet"',
    });
  });

  it("reports a method's own errors at their paths, and a missing or malformed payment_method as before", () => {
    expect(errorOf(both, body({ type: 'card', card: { ...card, number: '4242424242424241' } }))).toMatchObject({
      param: 'payment_method.card.number',
      code: 'card_number_invalid',
    });
    expect(errorOf(both, body({ type: 'card', card: { ...card, name: 'J' } }))).toMatchObject({
      param: 'payment_method.card.name',
      code: 'parameter_unknown',
    });
    expect(errorOf(both, body({ type: 'wallet', wallet: {} }))).toMatchObject({
      param: 'payment_method.wallet.account',
      code: 'parameter_missing',
    });
    expect(errorOf(both, { amount: 100, currency: 'usd' })).toMatchObject({
      param: 'payment_method',
      code: 'parameter_missing',
    });
    expect(errorOf(both, body('card'))).toMatchObject({ param: 'payment_method', code: 'parameter_invalid' });
  });

  it('needs at least one method', () => {
    expect(() => paymentMethodSchemaOf([])).toThrow('no payment method is registered');
  });
});
