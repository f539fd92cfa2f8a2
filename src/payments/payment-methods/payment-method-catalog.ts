import type { PaymentMethodHandler } from './payment-method.handler';

/** The handlers by type, in the order of their types. Two handlers for one type, or a schema whose `type` is not the handler's, is a wiring error. */
export function paymentMethodCatalog(
  handlers: readonly PaymentMethodHandler[],
): ReadonlyMap<string, PaymentMethodHandler> {
  const byType = new Map<string, PaymentMethodHandler>();
  for (const handler of handlers) {
    const schemaType = handler.schema.shape.type.value;
    if (schemaType !== handler.type) {
      throw new Error(`payment method '${handler.type}': its schema's type is '${String(schemaType)}'`);
    }
    const known = byType.get(handler.type);
    if (known && known !== handler) throw new Error(`payment method '${handler.type}' has two handlers`);
    byType.set(handler.type, handler);
  }
  if (byType.size === 0) throw new Error('no payment method handler is registered');
  // Discovery order follows module order; the 400 message lists the types, so they are sorted.
  return new Map([...byType].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
