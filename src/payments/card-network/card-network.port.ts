/** What an acquirer needs to authorize a card payment. Card data lives only in memory for this call. */
export interface AuthorizationRequest {
  paymentId: string;
  amountMinor: number;
  currency: string;
  card: { number: string; cvc: string | null; expMonth: number; expYear: number };
  /**
   * Stable for one payment (its id): the network answers a repeated key with its first final answer, so asking
   * again (a retried job, a worker killed between the answer and the commit) never charges the card twice.
   */
  idempotencyKey: string;
  /** 1 for the first try of this job; informational (the network counts attempts per key itself). */
  attempt: number;
}

export type AuthorizationResult =
  | {
      approved: true;
      authorizationCode: string;
      /** the network's reference of this authorization */ networkReference: string;
    }
  | {
      approved: false;
      declineCode: 'card_declined' | 'insufficient_funds' | 'processing_error';
      message: string;
      networkReference: string | null;
    };

/** The network could not answer this time (timeout, connection reset): the same request may be retried. */
export class CardNetworkUnavailableError extends Error {
  override readonly name = 'CardNetworkUnavailableError';
}

/**
 * The port every acquirer adapter implements; the built-in simulator is one. Bound by class, so a real adapter
 * replaces it with `{ provide: CardNetwork, useClass: AcmeAcquirer }`.
 */
export abstract class CardNetwork {
  abstract authorize(request: AuthorizationRequest): Promise<AuthorizationResult>;

  /**
   * Closes `idempotencyKey` for good and says how it ended: the approval or decline the network gave it, or — when
   * it never gave a final answer — null, after which no later authorization under that key can succeed (the card
   * is never charged for a payment failed by the sweeper). Throws CardNetworkUnavailableError when it cannot say.
   */
  abstract close(idempotencyKey: string): Promise<AuthorizationResult | null>;
}
