import { releaseGroups } from './settlement-release';

describe('releaseGroups', () => {
  it('sums the due amounts per merchant and currency, each payment in exactly one group', () => {
    const { groups, empty } = releaseGroups([
      { paymentId: 'pay_1', merchantId: 'mer_a', currency: 'USD', amountMinor: 100 },
      { paymentId: 'pay_2', merchantId: 'mer_b', currency: 'USD', amountMinor: 7 },
      { paymentId: 'pay_3', merchantId: 'mer_a', currency: 'EUR', amountMinor: 50 },
      { paymentId: 'pay_4', merchantId: 'mer_a', currency: 'USD', amountMinor: 25 },
      { paymentId: 'pay_5', merchantId: 'mer_a', currency: 'USD', amountMinor: 0 },
    ]);
    expect(groups).toEqual([
      { merchantId: 'mer_a', currency: 'USD', amountMinor: 125, paymentIds: ['pay_1', 'pay_4'] },
      { merchantId: 'mer_b', currency: 'USD', amountMinor: 7, paymentIds: ['pay_2'] },
      { merchantId: 'mer_a', currency: 'EUR', amountMinor: 50, paymentIds: ['pay_3'] },
    ]);
    expect(empty).toEqual(['pay_5']);
  });

  it('makes no group of nothing due, nor of amounts refunded to 0', () => {
    expect(releaseGroups([])).toEqual({ groups: [], empty: [] });
    expect(releaseGroups([{ paymentId: 'pay_1', merchantId: 'mer_a', currency: 'USD', amountMinor: 0 }])).toEqual({
      groups: [],
      empty: ['pay_1'],
    });
  });

  it('refuses a negative, fractional or unsafe amount rather than release a wrong sum', () => {
    const row = { paymentId: 'pay_1', merchantId: 'mer_a', currency: 'USD' };
    expect(() => releaseGroups([{ ...row, amountMinor: -1 }])).toThrow(/non-negative integer/);
    expect(() => releaseGroups([{ ...row, amountMinor: 1.5 }])).toThrow(/non-negative integer/);
    expect(() =>
      releaseGroups([
        { ...row, amountMinor: Number.MAX_SAFE_INTEGER },
        { ...row, paymentId: 'pay_2', amountMinor: 1 },
      ]),
    ).toThrow(/safe integer/);
  });
});
