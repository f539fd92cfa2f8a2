import { normalizeCurrency } from '../common/money/currency';
import { isValidAmountMinor } from '../common/money/money';

// Double-entry rules. A posting's amountMinor is signed: positive is a debit, negative a credit. A ledger
// transaction balances when its postings sum to zero in every currency, so money is only ever moved
// between accounts, never created or lost. Merchant accounts are what we owe the merchant, so they carry
// credits: the balance API shows −Σ amountMinor of merchant_available and merchant_pending.
//
// The money movements and their postings (D = debit, C = credit; every builder is in this folder, one small file
// per family: this file for payments and refunds, settlement-postings.ts, payout-postings.ts, dispute-postings.ts,
// network-fee-postings.ts):
//
// | movement (transaction kind)                 | postings                                                          |
// |---------------------------------------------|-------------------------------------------------------------------|
// | capture, no settlement delay                | D network_clearing amount; C merchant_available amount − fee;     |
// |   (payment_capture)                         | C fees_revenue fee                                                |
// | capture with SETTLEMENT_DELAY_MS            | the same, with merchant_pending in place of merchant_available    |
// | manual authorization (authorization_hold)   | D authorization_holds amount; C merchant_authorized amount        |
// | cancel / expiry (authorization_release)     | the hold reversed                                                 |
// | manual capture (payment_capture)            | the whole hold reversed, then the capture's postings above        |
// | pending → available (settlement_release)    | D merchant_pending Σ due; C merchant_available Σ due (one per     |
// |                                             | merchant and currency, for every payment due by then)             |
// | refund (refund)                             | D merchant_pending (what is still pending of the payment), D      |
// |                                             | merchant_available (the rest); C network_clearing amount          |
// | payout created (payout_created)             | D merchant_available amount; C merchant_payouts_in_transit amount |
// | payout paid (payout_paid)                   | D merchant_payouts_in_transit amount; C bank_payouts amount       |
// | payout failed (payout_failed)               | D merchant_payouts_in_transit amount; C merchant_available amount |
// | dispute opened (dispute_opened)             | D merchant_available amount + fee; C merchant_dispute_reserve     |
// |                                             | amount; C dispute_fees fee                                        |
// | dispute won (dispute_won)                   | D merchant_dispute_reserve amount; C merchant_available amount    |
// | dispute lost, or accepted (dispute_lost)    | D merchant_dispute_reserve amount; C network_clearing amount      |
// | network fee (network_fee)                   | D network_fees fee; C network_clearing fee                        |
//
// network_clearing is the card network's side: it owes us every capture and we owe it every refund, every lost
// dispute (the network takes the amount back for the cardholder when it decides against the merchant, not before)
// and its own fees (interchange per capture, its fee per dispute), so its balance is what the network's settlement
// reports should net to. A payout's and a dispute's transactions name it (payout_id, dispute_id); a dispute's also
// name its payment. Each (payout, kind) and (dispute, kind) is recorded at most once, like a payment's capture.

/**
 * merchant_available: captured money net of fees and refunds (the balance's `available`).
 * merchant_pending: captured money not yet available when a settlement delay is configured (`pending`).
 * merchant_authorized: authorizations awaiting capture; recorded, but not the merchant's money and not
 * part of the balance.
 * merchant_payouts_in_transit: payouts created and not yet paid or failed: still the merchant's money, no longer
 * in its balance.
 * merchant_dispute_reserve: the disputed amounts of open disputes, taken from available until the network decides.
 */
export const MERCHANT_ACCOUNT_KINDS = [
  'merchant_available',
  'merchant_pending',
  'merchant_authorized',
  'merchant_payouts_in_transit',
  'merchant_dispute_reserve',
] as const;

/**
 * network_clearing: what the card network owes us (a debit balance) or we owe it.
 * authorization_holds: the other side of merchant_authorized.
 * fees_revenue: our processing fees.
 * bank_payouts: money paid out to merchants' bank accounts (its credit balance is everything paid out).
 * dispute_fees: the dispute fees charged to merchants.
 * network_fees: what the card network charges us (interchange per capture, its fee per dispute): an expense.
 */
export const SYSTEM_ACCOUNT_KINDS = [
  'network_clearing',
  'authorization_holds',
  'fees_revenue',
  'bank_payouts',
  'dispute_fees',
  'network_fees',
] as const;

export type MerchantAccountKind = (typeof MERCHANT_ACCOUNT_KINDS)[number];
export type SystemAccountKind = (typeof SYSTEM_ACCOUNT_KINDS)[number];
export type AccountKind = MerchantAccountKind | SystemAccountKind;

/** What a ledger transaction records; the table above gives each one's postings. */
export const LEDGER_TRANSACTION_KINDS = [
  'payment_capture',
  'authorization_hold',
  'authorization_release',
  'refund',
  'settlement_release',
  'payout_created',
  'payout_paid',
  'payout_failed',
  'dispute_opened',
  'dispute_won',
  'dispute_lost',
  'network_fee',
] as const;
export type LedgerTransactionKind = (typeof LEDGER_TRANSACTION_KINDS)[number];

/** The kinds that record a payment's own money (and its refunds'): the verifier rebuilds them from the payment row. */
export const PAYMENT_TRANSACTION_KINDS = [
  'payment_capture',
  'authorization_hold',
  'authorization_release',
  'refund',
] as const satisfies readonly LedgerTransactionKind[];

/** The kinds a payout's transactions have (payout_id set, each at most once per payout). */
export const PAYOUT_TRANSACTION_KINDS = [
  'payout_created',
  'payout_paid',
  'payout_failed',
] as const satisfies readonly LedgerTransactionKind[];

/** The kinds a dispute's transactions have (dispute_id set, each at most once per dispute). */
export const DISPUTE_TRANSACTION_KINDS = [
  'dispute_opened',
  'dispute_won',
  'dispute_lost',
] as const satisfies readonly LedgerTransactionKind[];

/** Where captured money is credited: at once, or to pending while a settlement delay runs. */
export type SettlementAccountKind = Extract<MerchantAccountKind, 'merchant_available' | 'merchant_pending'>;

/** The money one transition moves: the transaction's kind and its balanced postings. */
export interface LedgerMove {
  kind: LedgerTransactionKind;
  postings: Posting[];
}

export interface AccountRef {
  kind: AccountKind;
  /** The owner of a merchant account; null for a system account. */
  merchantId: string | null;
  currency: string;
}

export interface Posting {
  account: AccountRef;
  /** Positive = debit, negative = credit; never zero. */
  amountMinor: number;
}

export interface FeeSchedule {
  percentBasisPoints: number;
  fixedMinor: number;
}

/** A set of postings that must not be recorded: it does not balance, or a posting or account is malformed. */
export class LedgerImbalanceError extends Error {
  override readonly name = 'LedgerImbalanceError';
}

/** A builder was asked for something the rules forbid (a fee above the amount, a capture above the hold, ...). */
export class LedgerInputError extends Error {
  override readonly name = 'LedgerInputError';
}

// 10 000 basis points are 100 %: a fee schedule above that is a misconfiguration, not a price.
export const percentBasisPointsMax = 10_000;

const merchantAccountKinds: ReadonlySet<string> = new Set(MERCHANT_ACCOUNT_KINDS);
const systemAccountKinds: ReadonlySet<string> = new Set(SYSTEM_ACCOUNT_KINDS);

export function isMerchantAccountKind(kind: unknown): kind is MerchantAccountKind {
  return typeof kind === 'string' && merchantAccountKinds.has(kind);
}

export function isSystemAccountKind(kind: unknown): kind is SystemAccountKind {
  return typeof kind === 'string' && systemAccountKinds.has(kind);
}

export function merchantAccount(kind: MerchantAccountKind, merchantId: string, currency: string): AccountRef {
  if (!isMerchantAccountKind(kind)) {
    throw new LedgerInputError(`not a merchant account kind: ${JSON.stringify(kind)}`);
  }
  return { kind, merchantId: requireMerchantId(merchantId), currency: requireCurrency(currency) };
}

export function systemAccount(kind: SystemAccountKind, currency: string): AccountRef {
  if (!isSystemAccountKind(kind)) {
    throw new LedgerInputError(`not a system account kind: ${JSON.stringify(kind)}`);
  }
  return { kind, merchantId: null, currency: requireCurrency(currency) };
}

/**
 * The amount a merchant is shown for one of its accounts. Merchant accounts carry credits (what we owe), so the
 * balance API shows the negated sum of the account's postings: credits of 900 are an available balance of 900.
 */
export function merchantBalanceShown(postingsSumMinor: number): number {
  if (typeof postingsSumMinor !== 'number' || !Number.isSafeInteger(postingsSumMinor)) {
    throw new LedgerInputError(`a balance is a safe integer, got ${String(postingsSumMinor)}`);
  }
  // 0 - x rather than -x: never a -0 in a response.
  return 0 - postingsSumMinor;
}

function describeAccount(account: AccountRef): string {
  return account.merchantId === null
    ? `${account.kind}/${account.currency}`
    : `${account.kind}/${account.merchantId}/${account.currency}`;
}

function assertAccount(account: AccountRef, where: string): void {
  if (typeof account !== 'object' || account === null) {
    throw new LedgerImbalanceError(`${where}: no account`);
  }
  const { kind, merchantId, currency } = account;
  if (isMerchantAccountKind(kind)) {
    if (typeof merchantId !== 'string' || merchantId.length === 0) {
      throw new LedgerImbalanceError(`${where}: merchant account ${String(kind)} needs a merchant id`);
    }
  } else if (isSystemAccountKind(kind)) {
    if (merchantId !== null) {
      throw new LedgerImbalanceError(`${where}: system account ${kind} must not belong to a merchant`);
    }
  } else {
    throw new LedgerImbalanceError(`${where}: unknown account kind ${JSON.stringify(kind)}`);
  }
  // The canonical (upper-case) code only, so that 'usd' and 'USD' can never be two sides of one sum.
  if (typeof currency !== 'string' || normalizeCurrency(currency) !== currency) {
    throw new LedgerImbalanceError(`${where}: ${String(kind)} has an invalid currency ${JSON.stringify(currency)}`);
  }
}

/**
 * Throws LedgerImbalanceError unless the postings form a valid transaction: at least two postings, each
 * a non-zero safe integer on a well-formed account, summing to zero in every currency.
 */
export function assertBalanced(postings: readonly Posting[]): void {
  // Array.isArray would narrow a readonly array to any[]; the check is for callers outside the type system.
  const candidate: unknown = postings;
  const isList = Array.isArray(candidate);
  if (!isList || postings.length < 2) {
    throw new LedgerImbalanceError(
      `a ledger transaction needs at least 2 postings, got ${isList ? postings.length : 'none'}`,
    );
  }
  // BigInt: a sum of safe integers can leave the safe range, and a rounded sum could falsely look balanced.
  const sumByCurrency = new Map<string, bigint>();
  postings.forEach((posting, index) => {
    const where = `posting ${index}`;
    if (typeof posting !== 'object' || posting === null) {
      throw new LedgerImbalanceError(`${where}: not a posting`);
    }
    assertAccount(posting.account, where);
    const { amountMinor } = posting;
    if (typeof amountMinor !== 'number' || !Number.isSafeInteger(amountMinor) || amountMinor === 0) {
      throw new LedgerImbalanceError(
        `${where} (${describeAccount(posting.account)}): amount must be a non-zero safe integer, got ${String(amountMinor)}`,
      );
    }
    const { currency } = posting.account;
    sumByCurrency.set(currency, (sumByCurrency.get(currency) ?? 0n) + BigInt(amountMinor));
  });
  const unbalanced = [...sumByCurrency].filter(([, sum]) => sum !== 0n);
  if (unbalanced.length > 0) {
    const details = unbalanced.map(([currency, sum]) => `${currency} sums to ${sum}`).join(', ');
    throw new LedgerImbalanceError(`ledger transaction does not balance: ${details} (debits must equal credits)`);
  }
}

export function requireCurrency(currency: string): string {
  const normalized = normalizeCurrency(currency);
  if (normalized === undefined) {
    throw new LedgerInputError(`unknown currency: ${JSON.stringify(currency)}`);
  }
  return normalized;
}

export function requireMerchantId(merchantId: string): string {
  if (typeof merchantId !== 'string' || merchantId.length === 0) {
    throw new LedgerInputError('a merchant id is required');
  }
  return merchantId;
}

export function requireAmount(value: number, name: string): number {
  if (!isValidAmountMinor(value)) {
    throw new LedgerInputError(
      `${name} must be a valid amount (an integer from 1 to the maximum), got ${String(value)}`,
    );
  }
  return value;
}

function requireFee(feeMinor: number, amountMinor: number): number {
  if (typeof feeMinor !== 'number' || !Number.isSafeInteger(feeMinor) || feeMinor < 0 || feeMinor > amountMinor) {
    throw new LedgerInputError(`fee must be an integer from 0 to the amount ${amountMinor}, got ${String(feeMinor)}`);
  }
  return feeMinor;
}

/** The postings, once assertBalanced accepted them. */
export function balancedPostings(postings: Posting[]): Posting[] {
  assertBalanced(postings);
  return postings;
}

/**
 * Our fee on an amount: amount × percentBasisPoints / 10 000 rounded half up, plus fixedMinor; never more
 * than the amount (the merchant never owes us money for a payment) and never negative. Integer math only.
 */
export function feeMinor(amountMinor: number, schedule: FeeSchedule): number {
  if (typeof amountMinor !== 'number' || !Number.isSafeInteger(amountMinor) || amountMinor < 0) {
    throw new LedgerInputError(`amount must be a non-negative safe integer, got ${String(amountMinor)}`);
  }
  const { percentBasisPoints, fixedMinor } = schedule;
  if (!Number.isInteger(percentBasisPoints) || percentBasisPoints < 0 || percentBasisPoints > percentBasisPointsMax) {
    throw new LedgerInputError(
      `percentBasisPoints must be an integer from 0 to ${percentBasisPointsMax}, got ${String(percentBasisPoints)}`,
    );
  }
  if (!Number.isSafeInteger(fixedMinor) || fixedMinor < 0) {
    throw new LedgerInputError(`fixedMinor must be a non-negative safe integer, got ${String(fixedMinor)}`);
  }
  const percentPart = (BigInt(amountMinor) * BigInt(percentBasisPoints) + 5_000n) / 10_000n;
  const fee = percentPart + BigInt(fixedMinor);
  return fee > BigInt(amountMinor) ? amountMinor : Number(fee);
}

export interface AutomaticCaptureInput {
  merchantId: string;
  currency: string;
  amountMinor: number;
  feeMinor: number;
  /** merchant_pending while a settlement delay runs (SETTLEMENT_DELAY_MS); merchant_available (default) otherwise. */
  creditTo?: SettlementAccountKind;
}

function requireSettlementAccount(kind: SettlementAccountKind | undefined): SettlementAccountKind {
  if (kind === undefined) return 'merchant_available';
  if (kind !== 'merchant_available' && kind !== 'merchant_pending') {
    throw new LedgerInputError(`captured money goes to merchant_available or merchant_pending, not ${String(kind)}`);
  }
  return kind;
}

function capturePostings(
  merchantId: string,
  currency: string,
  amountMinor: number,
  fee: number,
  creditTo: SettlementAccountKind,
): Posting[] {
  const netMinor = amountMinor - fee;
  const postings: Posting[] = [{ account: systemAccount('network_clearing', currency), amountMinor }];
  // A zero posting carries no information; the fee can be 0, or the whole amount for a tiny payment.
  if (netMinor > 0) {
    postings.push({ account: merchantAccount(creditTo, merchantId, currency), amountMinor: -netMinor });
  }
  if (fee > 0) {
    postings.push({ account: systemAccount('fees_revenue', currency), amountMinor: -fee });
  }
  return postings;
}

/**
 * A payment captured at authorization: the network owes us the amount; the merchant gets it net of our fee, in
 * available at once or in pending while a settlement delay runs.
 */
export function postingsForAutomaticCapture(input: AutomaticCaptureInput): Posting[] {
  const merchantId = requireMerchantId(input.merchantId);
  const currency = requireCurrency(input.currency);
  const amountMinor = requireAmount(input.amountMinor, 'amount');
  const fee = requireFee(input.feeMinor, amountMinor);
  return balancedPostings(
    capturePostings(merchantId, currency, amountMinor, fee, requireSettlementAccount(input.creditTo)),
  );
}
export interface AuthorizationHoldInput {
  merchantId: string;
  currency: string;
  amountMinor: number;
}

/** A manual-capture authorization: recorded in merchant_authorized, outside the merchant's balance. */
export function postingsForAuthorizationHold(input: AuthorizationHoldInput): Posting[] {
  const merchantId = requireMerchantId(input.merchantId);
  const currency = requireCurrency(input.currency);
  const amountMinor = requireAmount(input.amountMinor, 'amount');
  return balancedPostings(holdPostings(merchantId, currency, amountMinor, 1));
}

function holdPostings(merchantId: string, currency: string, amountMinor: number, direction: 1 | -1): Posting[] {
  return [
    { account: systemAccount('authorization_holds', currency), amountMinor: direction * amountMinor },
    { account: merchantAccount('merchant_authorized', merchantId, currency), amountMinor: -direction * amountMinor },
  ];
}

export interface CaptureInput {
  merchantId: string;
  currency: string;
  authorizedMinor: number;
  capturedMinor: number;
  feeMinor: number;
  /** As AutomaticCaptureInput's. */
  creditTo?: SettlementAccountKind;
}

/**
 * Capturing a manual payment, fully or partly: the whole hold is released (an uncaptured rest is never
 * captured later) and the captured amount is booked like an automatic capture.
 */
export function postingsForCapture(input: CaptureInput): Posting[] {
  const merchantId = requireMerchantId(input.merchantId);
  const currency = requireCurrency(input.currency);
  const authorizedMinor = requireAmount(input.authorizedMinor, 'authorized amount');
  const capturedMinor = requireAmount(input.capturedMinor, 'captured amount');
  if (capturedMinor > authorizedMinor) {
    throw new LedgerInputError(`captured amount ${capturedMinor} exceeds the authorized amount ${authorizedMinor}`);
  }
  const fee = requireFee(input.feeMinor, capturedMinor);
  return balancedPostings([
    ...holdPostings(merchantId, currency, authorizedMinor, -1),
    ...capturePostings(merchantId, currency, capturedMinor, fee, requireSettlementAccount(input.creditTo)),
  ]);
}

export interface HoldReleaseInput {
  merchantId: string;
  currency: string;
  authorizedMinor: number;
}

/** A manual payment canceled, or expired uncaptured: the hold is reversed and nothing else moves. */
export function postingsForHoldRelease(input: HoldReleaseInput): Posting[] {
  const merchantId = requireMerchantId(input.merchantId);
  const currency = requireCurrency(input.currency);
  const authorizedMinor = requireAmount(input.authorizedMinor, 'authorized amount');
  return balancedPostings(holdPostings(merchantId, currency, authorizedMinor, -1));
}

export interface RefundInput {
  merchantId: string;
  currency: string;
  amountMinor: number;
  /**
   * How much of the refund comes from merchant_pending: what is still pending of the payment's captured money, at
   * most the refund (0 by default, and always without a settlement delay). The rest comes from merchant_available.
   */
  fromPendingMinor?: number;
}

/**
 * A refund is paid back through the network from the merchant's money: first from what is still pending of the
 * payment, the rest from available; our fee is kept.
 */
export function postingsForRefund(input: RefundInput): Posting[] {
  const merchantId = requireMerchantId(input.merchantId);
  const currency = requireCurrency(input.currency);
  const amountMinor = requireAmount(input.amountMinor, 'amount');
  const fromPendingMinor = input.fromPendingMinor ?? 0;
  if (!Number.isSafeInteger(fromPendingMinor) || fromPendingMinor < 0 || fromPendingMinor > amountMinor) {
    throw new LedgerInputError(
      `the part from pending must be an integer from 0 to the refund ${amountMinor}, got ${String(fromPendingMinor)}`,
    );
  }
  const fromAvailableMinor = amountMinor - fromPendingMinor;
  const postings: Posting[] = [];
  if (fromPendingMinor > 0) {
    postings.push({
      account: merchantAccount('merchant_pending', merchantId, currency),
      amountMinor: fromPendingMinor,
    });
  }
  if (fromAvailableMinor > 0) {
    postings.push({
      account: merchantAccount('merchant_available', merchantId, currency),
      amountMinor: fromAvailableMinor,
    });
  }
  postings.push({ account: systemAccount('network_clearing', currency), amountMinor: -amountMinor });
  return balancedPostings(postings);
}
