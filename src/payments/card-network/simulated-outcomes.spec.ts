import { recordedAnswer, type SimulatedRecord, simulatedOutcome, testCardBehaviours } from './simulated-outcomes';

describe('simulatedOutcome', () => {
  it.each(['4242424242424242', '5555555555554444', '4111111111111111'])('approves %s on the first attempt', (card) => {
    expect(simulatedOutcome(card, 1)).toMatchObject({ approved: true });
  });

  it.each([
    ['4000000000000002', 'card_declined'],
    ['4000000000009995', 'insufficient_funds'],
  ])('declines %s with %s on every attempt', (card, declineCode) => {
    for (const attempt of [1, 2, 5]) {
      expect(simulatedOutcome(card, attempt)).toMatchObject({ approved: false, declineCode });
    }
  });

  it('fails 4000000000000119 transiently on attempts 1 and 2, then approves', () => {
    expect(simulatedOutcome('4000000000000119', 1)).toMatchObject({ approved: 'unavailable' });
    expect(simulatedOutcome('4000000000000119', 2)).toMatchObject({ approved: 'unavailable' });
    expect(simulatedOutcome('4000000000000119', 3)).toMatchObject({ approved: true });
  });

  it('times out 4000000000000259 on every attempt', () => {
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      expect(simulatedOutcome('4000000000000259', attempt)).toMatchObject({ approved: 'unavailable' });
    }
  });

  it('covers exactly the test cards of API.md', () => {
    expect(Object.keys(testCardBehaviours).sort()).toEqual(
      [
        '4000000000000002',
        '4000000000000119',
        '4000000000000259',
        '4000000000002685',
        '4000000000009995',
        '4242424242424242',
        '5555555555554444',
      ].sort(),
    );
  });
});

describe('recordedAnswer', () => {
  const open: SimulatedRecord = {
    reference: 'net_0123456789ABCDEFGHIJabcd',
    outcome: null,
    authorizationCode: null,
    declineCode: null,
    declineMessage: null,
  };

  it('holds no answer while the key has none', () => {
    expect(recordedAnswer(open)).toBeNull();
  });

  it('gives back the approval with its code and the reference', () => {
    expect(recordedAnswer({ ...open, outcome: 'approved', authorizationCode: 'sim_3' })).toEqual({
      approved: true,
      authorizationCode: 'sim_3',
      networkReference: open.reference,
    });
  });

  it('gives back the decline as given', () => {
    const declined = { ...open, outcome: 'declined', declineCode: 'insufficient_funds', declineMessage: 'No funds.' };
    expect(recordedAnswer(declined)).toEqual({
      approved: false,
      declineCode: 'insufficient_funds',
      message: 'No funds.',
      networkReference: open.reference,
    });
  });

  it('declines a voided key with processing_error, never approves it', () => {
    expect(recordedAnswer({ ...open, outcome: 'voided', authorizationCode: 'sim_1' })).toMatchObject({
      approved: false,
      declineCode: 'processing_error',
      networkReference: open.reference,
    });
  });

  it.each([
    ['an approval without a code', { outcome: 'approved' }],
    ['a decline with an unknown code', { outcome: 'declined', declineCode: 'processing_error' }],
    ['a decline without a code', { outcome: 'declined' }],
    ['an unknown outcome', { outcome: 'refunded' }],
  ])('refuses a record with %s', (_case, fields) => {
    expect(() => recordedAnswer({ ...open, ...fields })).toThrow(Error);
  });
});
