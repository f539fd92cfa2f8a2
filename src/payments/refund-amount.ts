/** What a refund request asks of a payment's captured money, decided without I/O. */
export type RefundAmountDecision = { allowed: true; amountMinor: number } | { allowed: false; message: string };

/**
 * The amount a refund takes: the one requested, or all that is left when none is. Refused when it is more than
 * what is left (API.md: the sum of refunds never passes amount_captured) or when nothing is left at all.
 */
export function refundAmount(
  capturedMinor: number,
  refundedMinor: number,
  requestedMinor: number | undefined,
): RefundAmountDecision {
  if (!Number.isSafeInteger(capturedMinor) || !Number.isSafeInteger(refundedMinor)) {
    throw new RangeError('captured and refunded amounts are integers of minor units');
  }
  if (refundedMinor < 0 || refundedMinor > capturedMinor) {
    throw new RangeError(`refunded ${refundedMinor} is outside 0..captured ${capturedMinor}`);
  }
  const leftMinor = capturedMinor - refundedMinor;
  if (leftMinor === 0) {
    return { allowed: false, message: 'This payment has been fully refunded; nothing is left to refund.' };
  }
  const amountMinor = requestedMinor ?? leftMinor;
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) {
    throw new RangeError('a requested refund amount is a positive integer of minor units');
  }
  if (amountMinor > leftMinor) {
    return {
      allowed: false,
      message: `The refund amount ${amountMinor} exceeds what is left to refund (${leftMinor}).`,
    };
  }
  return { allowed: true, amountMinor };
}
