import { simulatedArrival, simulatedBankBehaviour, simulatedSubmission } from './simulated-bank-outcomes';

describe('simulated bank outcomes', () => {
  it.each([
    ['Acme', 'pays'],
    ['Acme bank-fail', 'fails_at_once'],
    ['acme-bank-fail', 'fails_at_once'],
    ['Acme BANK-FAIL  ', 'fails_at_once'],
    ['Acme bank-late-fail', 'fails_late'],
    ['Acme Bank-Late-Fail', 'fails_late'],
    ['bank-fail Acme', 'pays'],
    ['Acme late-fail', 'pays'],
    ['', 'pays'],
  ])('treats the payouts of "%s" as: %s', (name, behaviour) => {
    expect(simulatedBankBehaviour(name)).toBe(behaviour);
  });

  it('refuses a bank-fail merchant’s transfer at once and accepts the others', () => {
    expect(simulatedSubmission('x bank-fail')).toEqual({ accepted: false, failureCode: 'account_closed' });
    expect(simulatedSubmission('x bank-late-fail')).toEqual({ accepted: true });
    expect(simulatedSubmission('x')).toEqual({ accepted: true });
  });

  it('returns a bank-late-fail merchant’s transfer on arrival and pays the others', () => {
    expect(simulatedArrival('x bank-late-fail')).toEqual({ paid: false, failureCode: 'could_not_process' });
    expect(simulatedArrival('x')).toEqual({ paid: true });
  });
});
