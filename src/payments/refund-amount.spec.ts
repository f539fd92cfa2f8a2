import { refundAmount } from './refund-amount';

describe('refundAmount', () => {
  it('takes all that is left when no amount is asked', () => {
    expect(refundAmount(1000, 0, undefined)).toEqual({ allowed: true, amountMinor: 1000 });
    expect(refundAmount(1000, 400, undefined)).toEqual({ allowed: true, amountMinor: 600 });
  });

  it.each([
    [1000, 0, 1],
    [1000, 0, 1000],
    [1000, 999, 1],
    [1000, 400, 600],
  ])('allows captured %i, refunded %i, asked %i', (captured, refunded, asked) => {
    expect(refundAmount(captured, refunded, asked)).toEqual({ allowed: true, amountMinor: asked });
  });

  it.each([
    [1000, 0, 1001],
    [1000, 400, 601],
    [1000, 999, 2],
  ])('refuses more than is left: captured %i, refunded %i, asked %i', (captured, refunded, asked) => {
    const decision = refundAmount(captured, refunded, asked);
    expect(decision).toEqual({
      allowed: false,
      message: `The refund amount ${asked} exceeds what is left to refund (${captured - refunded}).`,
    });
  });

  it('says a fully refunded payment has nothing left, with or without an amount', () => {
    for (const asked of [undefined, 1, 500]) {
      expect(refundAmount(500, 500, asked)).toEqual({
        allowed: false,
        message: 'This payment has been fully refunded; nothing is left to refund.',
      });
    }
  });

  it.each([
    [1000, -1, undefined],
    [1000, 1001, undefined],
    [1000.5, 0, undefined],
    [1000, 0, 0],
    [1000, 0, -5],
    [1000, 0, 1.5],
  ])('refuses impossible input as a programming error: %p, %p, %p', (captured, refunded, asked) => {
    expect(() => refundAmount(captured, refunded, asked)).toThrow(RangeError);
  });
});
