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
  /**
   * A sale: the whole amount is captured with the authorization, in one message (automatic capture), as acquirers
   * offer it. An approval then carries the capture the network recorded (under `capture_<payment id>`, the key a
   * later capture call of the same payment uses), so the payment needs no capture call of its own.
   */
  capture?: boolean;
}

export type AuthorizationResult =
  | {
      approved: true;
      authorizationCode: string;
      /** the network's reference of this authorization */ networkReference: string;
      /** The capture of a sale (`capture` asked): its reference and the network's fee for it. */
      capture?: NetworkMovement;
    }
  | {
      approved: false;
      declineCode: 'card_declined' | 'insufficient_funds' | 'processing_error';
      message: string;
      networkReference: string | null;
    };

/** The network's key of a payment's capture: a sale's and a later capture call's are one. */
export function captureKeyOf(paymentId: string): string {
  return `capture_${paymentId}`;
}

/** A capture or refund the network settles: our ids, and a key stable for this movement (retries ask again). */
export interface NetworkMovementRequest {
  paymentId: string;
  /** Set on a refund. */
  refundId?: string;
  /** The authorization's network reference (payments.network_reference). */
  authorizationReference: string | null;
  amountMinor: number;
  currency: string;
  /**
   * Stable for one movement (`capture_<payment id>`, the refund's id): the network answers a repeated key with the
   * line it recorded the first time, so a retried call never moves the money twice.
   */
  idempotencyKey: string;
}

/** What the network recorded for a movement: its reference, and the fee it charges us for it (0 for a refund). */
export interface NetworkMovement {
  networkReference: string;
  feeMinor: number;
}

/** A dispute the network opened against one of our payments (API.md: test card 4000000000002685). */
export interface NetworkDispute {
  /** The network's dispute reference. */
  networkReference: string;
  paymentId: string;
  /** Captured minus refunded at the network when it opened the dispute. */
  amountMinor: number;
  currency: string;
  reason: 'fraudulent';
  /** The network's own fee for the dispute (its report's `fee` line naming the dispute), charged when acknowledged. */
  feeMinor: number;
  openedAt: Date;
  /** Evidence submitted after this is too late; without evidence by then the dispute is lost. */
  evidenceDueBy: Date;
}

/** Where a dispute stands at the network: open (no decision yet), won or lost. */
export interface NetworkDisputeStatus {
  decision: 'open' | 'won' | 'lost';
  decidedAt: Date | null;
}

/** One line of the network's settlement report of a UTC day. Amounts are positive minor units; the type says how. */
export interface SettlementReportLine {
  type: 'capture' | 'refund' | 'dispute' | 'fee';
  payment_id: string;
  refund_id: string | null;
  dispute_id: string | null;
  network_reference: string;
  amount: number;
  currency: string;
}

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

  /**
   * Settles a captured amount of an approved authorization; the same key answers the same movement. Throws
   * CardNetworkUnavailableError when it cannot answer now (retry later).
   */
  abstract capture(request: NetworkMovementRequest): Promise<NetworkMovement>;

  /** Pays a refund back to the card; the same key answers the same movement. Throws CardNetworkUnavailableError. */
  abstract refund(request: NetworkMovementRequest): Promise<NetworkMovement>;

  /**
   * Disputes the network has opened that we have not acknowledged yet, oldest first, at most `limit`: a disputes job
   * polls this, records each dispute and then acknowledges it (a crash in between lists it again).
   */
  abstract openedDisputes(limit: number): Promise<NetworkDispute[]>;

  /**
   * Tells the network our id for its dispute (idempotent: the same pair again changes nothing); its report lines
   * about the dispute (the fee it charges, the amount if lost) carry that id from then on.
   */
  abstract acknowledgeDispute(networkReference: string, disputeId: string): Promise<void>;

  /**
   * Submits the merchant's evidence (once; a repeated submission answers the first one's status); the network
   * decides on it. Evidence after `evidenceDueBy` is refused by the network: the caller checks the due date first.
   */
  abstract submitDisputeEvidence(networkReference: string, text: string): Promise<NetworkDisputeStatus>;

  /** The merchant accepts the dispute: lost at once. Idempotent. */
  abstract acceptDispute(networkReference: string): Promise<NetworkDisputeStatus>;

  /** Where the dispute stands now (a dispute without evidence past its due date is lost). */
  abstract disputeStatus(networkReference: string): Promise<NetworkDisputeStatus>;

  /** The network's settlement report of the UTC day `day` (YYYY-MM-DD): what it settled with us that day. */
  abstract settlementReport(day: string): Promise<SettlementReportLine[]>;
}
