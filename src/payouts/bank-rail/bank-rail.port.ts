/** One payout as the bank rail sees it: who is paid, how much, and the key that makes asking again safe. */
export interface BankTransfer {
  /** The payout's id: the rail answers a repeated key with its first answer, so a retried job never pays twice. */
  payoutId: string;
  /** The account holder's name (the merchant's). */
  accountHolderName: string;
  amountMinor: number;
  currency: string;
}

/** The rail's answer to a transfer sent: on its way, or refused at once. */
export type SubmissionResult = { accepted: true } | { accepted: false; failureCode: 'account_closed' };

/** The rail's answer once the transfer is due: paid, or returned by the receiving bank. */
export type ArrivalResult = { paid: true } | { paid: false; failureCode: 'could_not_process' };

/** The rail could not answer this time (timeout, connection reset): the same request may be retried. */
export class BankRailUnavailableError extends Error {
  override readonly name = 'BankRailUnavailableError';
}

/**
 * The port every bank adapter implements (the built-in simulator is one). Bound by class, so a real adapter replaces
 * it with `{ provide: BankRail, useClass: AcmeBank }`.
 */
export abstract class BankRail {
  /** Sends the transfer; throws BankRailUnavailableError when the rail cannot say whether it took it. */
  abstract submit(transfer: BankTransfer): Promise<SubmissionResult>;

  /** How the transfer ended, asked once it is due; throws BankRailUnavailableError when the rail cannot say. */
  abstract arrival(transfer: BankTransfer): Promise<ArrivalResult>;
}
