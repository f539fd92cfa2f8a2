import { merchantAccount, systemAccount } from '../ledger/ledger-transaction';
import { pendingCreditMinor, settlementTarget } from './pending-settlements';

describe('settlementTarget', () => {
  it('credits available without a delay and pending with one', () => {
    expect(settlementTarget(0)).toBe('merchant_available');
    expect(settlementTarget(1)).toBe('merchant_pending');
    expect(settlementTarget(86_400_000)).toBe('merchant_pending');
  });
});

describe('pendingCreditMinor', () => {
  it('is what the postings credit to merchant_pending, and 0 when they credit available', () => {
    const clearing = { account: systemAccount('network_clearing', 'USD'), amountMinor: 1000 };
    const fees = { account: systemAccount('fees_revenue', 'USD'), amountMinor: -59 };
    expect(
      pendingCreditMinor([
        clearing,
        { account: merchantAccount('merchant_pending', 'mer_1', 'USD'), amountMinor: -941 },
        fees,
      ]),
    ).toBe(941);
    expect(
      pendingCreditMinor([
        clearing,
        { account: merchantAccount('merchant_available', 'mer_1', 'USD'), amountMinor: -941 },
        fees,
      ]),
    ).toBe(0);
  });
});
