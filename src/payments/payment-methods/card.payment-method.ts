import { Injectable } from '@nestjs/common';
import { amountFromSql } from '../../common/money/money';
import { AppConfig } from '../../config/app-config';
import type { CombinedWrite } from '../../database/combined-write';
import type { Tx } from '../../database/database';
import type { payments } from '../../database/schema';
import { CardNetwork, type AuthorizationResult } from '../card-network/card-network.port';
import { cardBrand } from '../card/card-brand';
import { type CardPaymentMethodInput, cardPaymentMethodSchema } from '../card/card.schemas';
import { type CardSecret, cardFingerprint } from '../card/card-vault.crypto';
import { CardVault } from '../card/card-vault.service';
import { cardMatchesPayment } from '../payment-jobs';
import type { PaymentStatus } from '../payment-status';
import {
  type AuthorizationAttempt,
  type InstrumentLookup,
  type PaymentMethodColumns,
  type PaymentMethodFields,
  PaymentMethodHandler,
  type PaymentRelease,
} from './payment-method.handler';

type PaymentRow = typeof payments.$inferSelect;

/**
 * Cards: the number and CVC go to the vault (the payment keeps its token), the summary (brand, last4, expiry, a
 * keyed fingerprint) to the payment's card columns. The card network authorizes; the CVC is erased once the
 * card is authorized and the whole vault entry once the payment is final.
 */
@Injectable()
export class CardPaymentMethod extends PaymentMethodHandler<CardPaymentMethodInput, CardSecret> {
  readonly type = 'card';
  readonly schema = cardPaymentMethodSchema;

  constructor(
    private readonly vault: CardVault,
    private readonly network: CardNetwork,
    private readonly config: AppConfig,
  ) {
    super();
  }

  async prepare(tx: Tx, paymentMethod: CardPaymentMethodInput): Promise<PaymentMethodColumns> {
    const [columns] = await this.prepareMany(tx, [paymentMethod]);
    return columns!;
  }

  /** The cards of a batch go to the vault in one statement (sent with the payments' insert when `writes` is given). */
  override async prepareMany(
    tx: Tx,
    paymentMethods: readonly CardPaymentMethodInput[],
    writes?: CombinedWrite,
  ): Promise<PaymentMethodColumns[]> {
    const secrets = paymentMethods.map(({ card }) => ({ number: card.number, cvc: card.cvc }));
    const tokens = writes ? this.vault.storeManyTo(writes, secrets) : await this.vault.storeMany(tx, secrets);
    return paymentMethods.map(({ card }, index) => ({
      cardBrand: cardBrand(card.number),
      cardLast4: card.number.slice(-4),
      cardExpMonth: card.exp_month,
      cardExpYear: card.exp_year,
      cardFingerprint: this.fingerprintOf(card.number),
      vaultToken: tokens[index]!,
    }));
  }

  override present(row: PaymentRow): PaymentMethodFields {
    const { cardBrand: brand, cardLast4: last4, cardExpMonth: month, cardExpYear: year, cardFingerprint: print } = row;
    // The database requires all five on a card payment (payments_card_summary_present).
    if (brand === null || last4 === null || month === null || year === null || print === null) return { card: null };
    return { card: { brand, last4, exp_month: month, exp_year: year, fingerprint: print } };
  }

  /**
   * The card, read by the vault token on the payment row (nothing the job says besides the ids is used) and checked
   * against the stored summary, so a token swapped in the database charges nobody else's card.
   */
  async instrument(row: PaymentRow): Promise<InstrumentLookup<CardSecret>> {
    const [lookup] = await this.instrumentMany([row]);
    return lookup!;
  }

  /** The cards of a batch, read from the vault with one statement. */
  override async instrumentMany(rows: readonly PaymentRow[]): Promise<InstrumentLookup<CardSecret>[]> {
    const tokens = rows.flatMap((row) => (row.vaultToken ? [row.vaultToken] : []));
    const cards = await this.vault.readMany(tokens);
    return rows.map((row): InstrumentLookup<CardSecret> => {
      const card = row.vaultToken ? cards.get(row.vaultToken) : undefined;
      if (!card) return { ready: false, reason: 'card_erased' };
      if (!cardMatchesPayment(card.number, row, (number) => this.fingerprintOf(number))) {
        return { ready: false, reason: 'card_mismatch' };
      }
      return { ready: true, instrument: card };
    });
  }

  authorize({ payment, instrument: card, attempt }: AuthorizationAttempt<CardSecret>): Promise<AuthorizationResult> {
    return this.network.authorize({
      paymentId: payment.id,
      amountMinor: amountFromSql(payment.amount),
      currency: payment.currency,
      card: { number: card.number, cvc: card.cvc, expMonth: payment.cardExpMonth!, expYear: payment.cardExpYear! },
      idempotencyKey: payment.id,
      attempt,
      capture: payment.captureMethod === 'automatic',
    });
  }

  /** The payment's id is its key at the network (AuthorizationRequest.idempotencyKey). */
  close(payment: PaymentRow): Promise<AuthorizationResult | null> {
    return this.network.close(payment.id);
  }

  override async release(tx: Tx, payment: PaymentRow, status: PaymentStatus): Promise<void> {
    await this.releaseMany(tx, [{ payment, status }]);
  }

  /** The CVCs of the cards authorized go with one re-sealing update, the cards of final payments with one delete. */
  override async releaseMany(tx: Tx, releases: readonly PaymentRelease[], writes?: CombinedWrite): Promise<void> {
    const authorized: string[] = [];
    const final: string[] = [];
    for (const { payment, status } of releases) {
      if (!payment.vaultToken) continue;
      (status === 'requires_capture' ? authorized : final).push(payment.vaultToken);
    }
    await this.vault.eraseCvcMany(tx, authorized);
    if (writes) this.vault.eraseManyTo(writes, final);
    else await this.vault.eraseMany(tx, final);
  }

  /** One keyed hash for the stored card summary and for checking a vault entry against it. */
  private fingerprintOf(cardNumber: string): string {
    return cardFingerprint(cardNumber, this.config.fingerprintKey);
  }
}
