import type { z } from 'zod';
import type { Tx } from '../../database/database';
import type { CombinedWrite } from '../../database/combined-write';
import type { payments } from '../../database/schema';
import type { AuthorizationResult } from '../card-network/card-network.port';
import type { PaymentStatus } from '../payment-status';
import type { cardSummarySchema } from '../card/card.schemas';

type PaymentRow = typeof payments.$inferSelect;
type PaymentInsert = typeof payments.$inferInsert;

/** The create body's `payment_method` of one type: a strict object whose `type` is the handler's literal. */
export type PaymentMethodSchema = z.ZodObject<{ type: z.ZodLiteral<string> } & z.ZodRawShape>;

/**
 * The payment columns a handler may fill when a payment is created: the method's own, never the money or the
 * status. A method with no columns of its own keeps its (non-secret) details in `paymentMethodDetails`.
 */
export type PaymentMethodColumns = Partial<
  Pick<
    PaymentInsert,
    | 'cardBrand'
    | 'cardLast4'
    | 'cardExpMonth'
    | 'cardExpYear'
    | 'cardFingerprint'
    | 'vaultToken'
    | 'paymentMethodDetails'
  >
>;

export type CardSummary = z.output<typeof cardSummarySchema>;

/** The payment object's fields that depend on the method (API.md): the card summary, null for other methods. */
export interface PaymentMethodFields {
  card: CardSummary | null;
}

/** What is being authorized: the payment (read from its row, never from the job) and the try of this job. */
export interface AuthorizationAttempt<Instrument> {
  payment: PaymentRow;
  instrument: Instrument;
  /** 1 for the first try of this job. */
  attempt: number;
}

/** A payment leaving `processing` or `requires_capture` (the row as it was locked) and the status it moves into. */
export interface PaymentRelease {
  payment: PaymentRow;
  status: PaymentStatus;
}

/** The instrument to charge, or why the authorization job must change nothing (logged as the job's outcome). */
export type InstrumentLookup<Instrument> = { ready: true; instrument: Instrument } | { ready: false; reason: string };

/**
 * The port of one payment method (`payment_method.type`). Handlers are discovered by PaymentMethodRegistry among
 * all the application's providers, so a new method is one provider (in any module, through
 * `AppModuleOptions.imports` too) plus its schema; payments' service, controller and processor do not change.
 *
 * Every authorization of a payment uses the payment id as its key at the provider: asking again (a retried job)
 * must give the first final answer, and `close` ends the key so that a payment whose retries are spent settles.
 */
export abstract class PaymentMethodHandler<Input = unknown, Instrument = unknown> {
  /** The `payment_method.type` this handler serves, stored in payments.payment_method_type. */
  abstract readonly type: string;

  /** The create body's `payment_method` for this type: `{ type: z.literal(type), … }`, strict. */
  abstract readonly schema: PaymentMethodSchema;

  /** At create, in the payment's transaction: stores what must be kept (secrets elsewhere) and gives its columns. */
  abstract prepare(tx: Tx, paymentMethod: Input): Promise<PaymentMethodColumns>;

  /**
   * `prepare` for the payments of one batch (group commit), in their order. The default prepares them one after
   * another; a method that stores something overrides it to store them all with one statement, which it may add to
   * `writes` (when given) instead of running it: it is then sent with the payments' insert, in the same round trip.
   */
  async prepareMany(
    tx: Tx,
    paymentMethods: readonly Input[],
    _writes?: CombinedWrite,
  ): Promise<PaymentMethodColumns[]> {
    const columns: PaymentMethodColumns[] = [];
    for (const paymentMethod of paymentMethods) columns.push(await this.prepare(tx, paymentMethod));
    return columns;
  }

  /** The payment object's method fields from the stored row. */
  present(_payment: PaymentRow): PaymentMethodFields {
    return { card: null };
  }

  /** Before asking the provider: what to charge, read through the payment row only, or why not to act. */
  abstract instrument(payment: PaymentRow): Promise<InstrumentLookup<Instrument>>;

  /**
   * `instrument` for the payments of one batch (the authorization jobs that start at the same time), in their order.
   * The default looks them up one after another; a method that stores something overrides it to read them all with
   * one statement. Throwing fails the batch: each payment is then looked up on its own.
   */
  async instrumentMany(payments: readonly PaymentRow[]): Promise<InstrumentLookup<Instrument>[]> {
    const lookups: InstrumentLookup<Instrument>[] = [];
    for (const payment of payments) lookups.push(await this.instrument(payment));
    return lookups;
  }

  /** Asks the provider; throws when it could not answer this time (the job is retried). */
  abstract authorize(attempt: AuthorizationAttempt<Instrument>): Promise<AuthorizationResult>;

  /** Closes the payment's key at the provider: its final answer if it gave one, null when it can no longer approve. */
  abstract close(payment: PaymentRow): Promise<AuthorizationResult | null>;

  /**
   * In the transaction that moves the payment out of `processing` or `requires_capture` into `status`: forget what
   * the payment no longer needs (a card's CVC once authorized, the whole card once final).
   */
  async release(_tx: Tx, _payment: PaymentRow, _status: PaymentStatus): Promise<void> {}

  /**
   * `release` for the payments of one batch (one settlement transaction), each into its own status. The default
   * releases them one after another; a method that stores something overrides it to release them all with a
   * statement or two, which it may add to `writes` (when given) when it reads nothing they change: they are then
   * sent with the settlement's other writes, in the same round trip.
   */
  async releaseMany(tx: Tx, releases: readonly PaymentRelease[], _writes?: CombinedWrite): Promise<void> {
    for (const { payment, status } of releases) await this.release(tx, payment, status);
  }
}
