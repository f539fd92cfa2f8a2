import {
  canTransition,
  isFinal,
  isPayoutStatus,
  ledgerKindsOf,
  PAYOUT_STATUSES,
  PAYOUT_TRANSITIONS,
  type PayoutStatus,
  statusesBefore,
} from './payout-status';

// API.md, written out pair by pair: every (from, to) not listed here is forbidden.
const allowed = new Set(['pending>in_transit', 'pending>failed', 'in_transit>paid', 'in_transit>failed']);

describe('payout status machine', () => {
  const pairs = PAYOUT_STATUSES.flatMap((from) => PAYOUT_STATUSES.map((to) => [from, to] as const));

  it.each(pairs)('%s → %s is allowed only if API.md says so', (from, to) => {
    expect(canTransition(from, to)).toBe(allowed.has(`${from}>${to}`));
  });

  it('has a row for every status, and no status moves to itself', () => {
    expect(Object.keys(PAYOUT_TRANSITIONS).sort()).toEqual([...PAYOUT_STATUSES].sort());
    for (const status of PAYOUT_STATUSES) expect(canTransition(status, status)).toBe(false);
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(PAYOUT_TRANSITIONS)).toBe(true);
    expect(Object.isFrozen(PAYOUT_TRANSITIONS.pending)).toBe(true);
  });

  it('refuses values that are not statuses', () => {
    expect(canTransition('constructor' as PayoutStatus, 'paid')).toBe(false);
    expect(canTransition('pending', 'toString' as PayoutStatus)).toBe(false);
    expect(isPayoutStatus('constructor')).toBe(false);
    expect(isPayoutStatus(undefined)).toBe(false);
    expect(isPayoutStatus('in_transit')).toBe(true);
  });

  it('calls paid and failed final, and nothing else', () => {
    expect(PAYOUT_STATUSES.filter(isFinal)).toEqual(['paid', 'failed']);
  });

  it('guards each update by the statuses it may come from', () => {
    expect(statusesBefore('pending')).toEqual([]);
    expect(statusesBefore('in_transit')).toEqual(['pending']);
    expect(statusesBefore('paid')).toEqual(['in_transit']);
    expect(statusesBefore('failed')).toEqual(['pending', 'in_transit']);
    expect(() => statusesBefore('lost' as PayoutStatus)).toThrow(TypeError);
  });

  it('names the ledger transactions each status has recorded', () => {
    expect(ledgerKindsOf('pending')).toEqual(['payout_created']);
    expect(ledgerKindsOf('in_transit')).toEqual(['payout_created']);
    expect(ledgerKindsOf('paid')).toEqual(['payout_created', 'payout_paid']);
    expect(ledgerKindsOf('failed')).toEqual(['payout_created', 'payout_failed']);
    expect(() => ledgerKindsOf('lost' as PayoutStatus)).toThrow(TypeError);
  });
});
