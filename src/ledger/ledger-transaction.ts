import { normalizeCurrency } from '../common/money/currency';
import { isValidAmountMinor } from '../common/money/money';

// Double-entry rules. A posting's amountMinor is signed: positive is a debit, negative a credit. A ledger
// transaction balances when its postings sum to zero in every currency, so money is only ever moved
// between accounts, never created or lost. Merchant accounts are what we owe the merchant, so they carry
// credits: the balance API shows −Σ amountMinor of merchant_available and merchant_pending.

/**
 * merchant_available: captured money net of fees and refunds (the balance's `available`).
 * merchant_pending: captured money not yet available when a settlement delay is configured (`pending`).
 * merchant_authorized: authorizations awaiting capture; recorded, but not the merchant's money and not
 * part of the balance.
 */
export const MERCHANT_ACCOUNT_KINDS = ['merchant_available', 'merchant_pending', 'merchant_authorized'] as const;

/**
 * network_clearing: what the card network owes us (a debit balance) or we owe it.
 * authorization_holds: the other side of merchant_authorized.
 * fees_revenue: our fees.
 */
export const SYSTEM_ACCOUNT_KINDS = ['network_clearing', 'authorization_holds', 'fees_revenue'] as const;

export type MerchantAccountKind = (typeof MERCHANT_ACCOUNT_KINDS)[number];
export type SystemAccountKind = (typeof SYSTEM_ACCOUNT_KINDS)[number];
export type AccountKind = MerchantAccountKind | SystemAccountKind;

/** What a ledger transaction records: a payment's capture, hold or release, or a refund. */
export const LEDGER_TRANSACTION_KINDS = [
  'payment_capture',
  'authorization_hold',
  'authorization_release',
  'refund',
] as const;
export type LedgerTransactionKind = (typeof LEDGER_TRANSACTION_KINDS)[number];

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

function requireCurrency(currency: string): string {
  const normalized = normalizeCurrency(currency);
  if (normalized === undefined) {
    throw new LedgerInputError(`unknown currency: ${JSON.stringify(currency)}`);
  }
  return normalized;
}

function requireMerchantId(merchantId: string): string {
  if (typeof merchantId !== 'string' || merchantId.length === 0) {
    throw new LedgerInputError('a merchant id is required');
  }
  return merchantId;
}

function requireAmount(value: number, name: string): number {
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

function balanced(postings: Posting[]): Posting[] {
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
}

// Captured money is available at once: no settlement delay exists yet (issue #16 will credit merchant_pending).
function capturePostings(merchantId: string, currency: string, amountMinor: number, fee: number): Posting[] {
  const netMinor = amountMinor - fee;
  const postings: Posting[] = [{ account: systemAccount('network_clearing', currency), amountMinor }];
  // A zero posting carries no information; the fee can be 0, or the whole amount for a tiny payment.
  if (netMinor > 0) {
    postings.push({ account: merchantAccount('merchant_available', merchantId, currency), amountMinor: -netMinor });
  }
  if (fee > 0) {
    postings.push({ account: systemAccount('fees_revenue', currency), amountMinor: -fee });
  }
  return postings;
}

/** A payment captured at authorization: the network owes us the amount; the merchant gets it net of our fee. */
export function postingsForAutomaticCapture(input: AutomaticCaptureInput): Posting[] {
  const merchantId = requireMerchantId(input.merchantId);
  const currency = requireCurrency(input.currency);
  const amountMinor = requireAmount(input.amountMinor, 'amount');
  const fee = requireFee(input.feeMinor, amountMinor);
  return balanced(capturePostings(merchantId, currency, amountMinor, fee));
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
  return balanced(holdPostings(merchantId, currency, amountMinor, 1));
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
  return balanced([
    ...holdPostings(merchantId, currency, authorizedMinor, -1),
    ...capturePostings(merchantId, currency, capturedMinor, fee),
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
  return balanced(holdPostings(merchantId, currency, authorizedMinor, -1));
}

export interface RefundInput {
  merchantId: string;
  currency: string;
  amountMinor: number;
}

/** A refund is paid from the merchant's available money back through the network; our fee is kept. */
export function postingsForRefund(input: RefundInput): Posting[] {
  const merchantId = requireMerchantId(input.merchantId);
  const currency = requireCurrency(input.currency);
  const amountMinor = requireAmount(input.amountMinor, 'amount');
  return balanced([
    { account: merchantAccount('merchant_available', merchantId, currency), amountMinor },
    { account: systemAccount('network_clearing', currency), amountMinor: -amountMinor },
  ]);
}
