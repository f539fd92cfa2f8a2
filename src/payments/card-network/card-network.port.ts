/** What an acquirer needs to authorize a card payment. Card data lives only in memory for this call. */
export interface AuthorizationRequest {
  paymentId: string;
  amountMinor: number;
  currency: string;
  card: { number: string; cvc: string | null; expMonth: number; expYear: number };
  /** 1 for the first try; a network that deduplicates by payment id and attempt can use it. */
  attempt: number;
}

export type AuthorizationResult =
  | { approved: true; authorizationCode: string }
  | { approved: false; declineCode: 'card_declined' | 'insufficient_funds'; message: string };

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
}
