import { type CardBrand, cardBrand } from './card-brand';

describe('cardBrand', () => {
  it.each<[string, CardBrand]>([
    // API.md test cards
    ['4242424242424242', 'visa'],
    ['5555555555554444', 'mastercard'],
    ['4000000000000002', 'visa'],
    ['4000000000009995', 'visa'],
    ['4000000000000119', 'visa'],
    ['4000000000000259', 'visa'],
    // common test numbers of each network
    ['4000056655665556', 'visa'],
    ['4111111111111111', 'visa'],
    ['5105105105105100', 'mastercard'],
    ['5200828282828210', 'mastercard'],
    ['2223003122003222', 'mastercard'],
    ['378282246310005', 'amex'],
    ['371449635398431', 'amex'],
    ['6011111111111117', 'discover'],
    ['6011000990139424', 'discover'],
    ['6445644564456445', 'discover'],
    ['6500000000000002', 'discover'],
    ['3056930009020004', 'diners'],
    ['36227206271667', 'diners'],
    ['3095000000000001', 'diners'],
    ['3800000000000006', 'diners'],
    ['3566002020360505', 'jcb'],
    ['6200000000000005', 'unionpay'],
    ['8100000000000000', 'unionpay'],
  ])('%s is %s', (number, brand) => {
    expect(cardBrand(number)).toBe(brand);
  });

  it.each<[string, CardBrand]>([
    // Mastercard 2-series, 2221-2720, and its neighbours
    ['2220999999999999', 'unknown'],
    ['2221000000000000', 'mastercard'],
    ['2500000000000000', 'mastercard'],
    ['2720999999999999', 'mastercard'],
    ['2721000000000000', 'unknown'],
    ['2200000000000000', 'unknown'], // Mir
    // Mastercard 51-55
    ['5000000000000000', 'unknown'],
    ['5100000000000000', 'mastercard'],
    ['5599999999999999', 'mastercard'],
    ['5600000000000000', 'unknown'],
    // American Express 34, 37
    ['3300000000000000', 'unknown'],
    ['3400000000000000', 'amex'],
    ['3500000000000000', 'unknown'],
    ['3700000000000000', 'amex'],
    // Diners 300-305, 3095, 36, 38-39
    ['3000000000000000', 'diners'],
    ['3059999999999999', 'diners'],
    ['3060000000000000', 'unknown'],
    ['3094000000000000', 'unknown'],
    ['3096000000000000', 'unknown'],
    ['3900000000000000', 'diners'],
    // JCB 3528-3589
    ['3527999999999999', 'unknown'],
    ['3528000000000000', 'jcb'],
    ['3589999999999999', 'jcb'],
    ['3590000000000000', 'unknown'],
    // Discover 6011, 644-649, 65
    ['6010000000000000', 'unknown'],
    ['6012000000000000', 'unknown'],
    ['6439999999999999', 'unknown'],
    ['6440000000000000', 'discover'],
    ['6499999999999999', 'discover'],
    ['6599999999999999', 'discover'],
    ['6600000000000000', 'unknown'],
    // UnionPay 62, 81
    ['6299999999999999', 'unionpay'],
    ['8200000000000000', 'unknown'],
    // neither
    ['1000000000000000', 'unknown'],
    ['7000000000000000', 'unknown'],
    ['9000000000000000', 'unknown'],
    ['0000000000000000', 'unknown'],
  ])('%s is %s', (number, brand) => {
    expect(cardBrand(number)).toBe(brand);
  });

  it('decides from the leading digits alone', () => {
    expect(cardBrand('4')).toBe('visa');
    expect(cardBrand('37')).toBe('amex');
    expect(cardBrand('2221')).toBe('mastercard');
    // Too short to tell the 2-series apart from its neighbours.
    expect(cardBrand('22')).toBe('unknown');
    expect(cardBrand('3')).toBe('unknown');
  });

  it.each(['', '4242 4242 4242 4242', ' 4242424242424242', '4242-4242', 'visa', '４２４２'])(
    'says unknown for %j, which is not digits only',
    (number) => {
      expect(cardBrand(number)).toBe('unknown');
    },
  );

  it.each([undefined, null, 4242424242424242])('says unknown for the non-string %p', (value) => {
    expect(cardBrand(value as unknown as string)).toBe('unknown');
  });
});
