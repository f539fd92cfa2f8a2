import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { payments } from '../../database/schema';
import { type PaymentObject, presentPayment } from '../payment.presenter';
import { type CreatePaymentSchema, createPaymentSchemaOf } from '../payment.schemas';
import { paymentMethodCatalog } from './payment-method-catalog';
import { PaymentMethodHandler } from './payment-method.handler';

type PaymentRow = typeof payments.$inferSelect;

/**
 * The payment methods of this application: every provider, in any module, that extends PaymentMethodHandler,
 * found once the modules are instantiated. Payments' service, controller and processor reach a method only here.
 */
@Injectable()
export class PaymentMethodRegistry implements OnModuleInit {
  private handlers: ReadonlyMap<string, PaymentMethodHandler> = new Map();
  private createSchema: CreatePaymentSchema | undefined;

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    const found = new Set<PaymentMethodHandler>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (instance instanceof PaymentMethodHandler) found.add(instance);
    }
    this.handlers = paymentMethodCatalog([...found]);
    this.createSchema = createPaymentSchemaOf([...this.handlers.values()].map((handler) => handler.schema));
  }

  /** The registered types, in registration order. */
  types(): string[] {
    return [...this.handlers.keys()];
  }

  /** The handler of `type`; undefined for a type no handler serves (any more). */
  handlerOf(type: string): PaymentMethodHandler | undefined {
    return this.handlers.get(type);
  }

  /** The create body's schema: `payment_method` is one of the registered methods'. */
  createPaymentSchema(): CreatePaymentSchema {
    if (!this.createSchema) throw new Error('payment methods are not discovered yet');
    return this.createSchema;
  }

  /** The API's payment object, its method fields by the payment's handler (none for a type no handler serves). */
  present(row: PaymentRow): PaymentObject {
    return presentPayment(row, this.handlerOf(row.paymentMethodType)?.present(row) ?? { card: null });
  }
}
