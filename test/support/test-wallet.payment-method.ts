// The worked example of a new payment method (issue #12): everything a team writes for one, in one place. It is
// mounted through `AppModuleOptions.imports`; payments' service, controller and processor are not touched.
import { Injectable, Module } from '@nestjs/common';
import { z } from 'zod';
import type { Tx } from '../../src/database/database';
import type { payments } from '../../src/database/schema';
import type { AuthorizationResult } from '../../src/payments/card-network/card-network.port';
import {
  type AuthorizationAttempt,
  type InstrumentLookup,
  type PaymentMethodColumns,
  PaymentMethodHandler,
} from '../../src/payments/payment-methods/payment-method.handler';

type PaymentRow = typeof payments.$inferSelect;

/** Its schema: `payment_method: { type: 'test_wallet', wallet: { account: 'acct_…' } }`. */
const testWalletSchema = z.strictObject({
  type: z.literal('test_wallet'),
  wallet: z.strictObject({
    account: z.string().regex(/^acct_[A-Za-z0-9]{1,32}$/, 'must be a wallet account (acct_…)'),
  }),
});
type TestWalletInput = z.output<typeof testWalletSchema>;

/** An account whose name ends in `empty` has no funds; every other account pays. */
export const emptyWalletAccount = 'acct_empty';

/**
 * A wallet that needs no secrets: the account goes to the payment's method details, and the wallet "provider"
 * answers each payment once (by its id, as a card network does), so a retried job gets the first answer.
 */
@Injectable()
export class TestWalletPaymentMethod extends PaymentMethodHandler<TestWalletInput, { account: string }> {
  readonly type = 'test_wallet';
  readonly schema = testWalletSchema;
  /** The provider's answers by payment id; shared by the test's apps in this process. */
  static readonly answers = new Map<string, AuthorizationResult>();

  prepare(_tx: Tx, { wallet }: TestWalletInput): Promise<PaymentMethodColumns> {
    return Promise.resolve({ paymentMethodDetails: { account: wallet.account } });
  }

  instrument(payment: PaymentRow): Promise<InstrumentLookup<{ account: string }>> {
    const account = payment.paymentMethodDetails?.account;
    return Promise.resolve(
      typeof account === 'string'
        ? { ready: true, instrument: { account } }
        : { ready: false, reason: 'wallet_missing' },
    );
  }

  authorize({ payment, instrument }: AuthorizationAttempt<{ account: string }>): Promise<AuthorizationResult> {
    const answers = TestWalletPaymentMethod.answers;
    if (!answers.has(payment.id)) {
      answers.set(
        payment.id,
        instrument.account.endsWith('empty')
          ? {
              approved: false,
              declineCode: 'insufficient_funds',
              message: 'The wallet has no funds.',
              networkReference: `tw_${payment.id}`,
            }
          : { approved: true, authorizationCode: 'TW0001', networkReference: `tw_${payment.id}` },
      );
    }
    return Promise.resolve(answers.get(payment.id)!);
  }

  close(payment: PaymentRow): Promise<AuthorizationResult | null> {
    return Promise.resolve(TestWalletPaymentMethod.answers.get(payment.id) ?? null);
  }
}

@Module({ providers: [TestWalletPaymentMethod] })
export class TestWalletModule {}
