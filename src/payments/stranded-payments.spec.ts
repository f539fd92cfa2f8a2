import { PAYMENT_STATUSES } from './payment-status';
import {
  attemptAllowanceMs,
  authorizationExpiryGraceMs,
  closedKeyOutcomeLabel,
  outcomeOfClosedKey,
  retryBudgetMarginMs,
  retryBudgetMs,
  retryBudgetMsMax,
  strandedAction,
  strandedCheck,
  strandedThresholds,
} from './stranded-payments';

/** Waits BullMQ's exponential backoff makes between attempts, summed one by one (2^(k-1) · delay before retry k+1). */
function backoffWaitsMs(attemptsMax: number, backoffDelayMs: number): number {
  let totalMs = 0;
  for (let retry = 1; retry < attemptsMax; retry += 1) totalMs += backoffDelayMs * 2 ** (retry - 1);
  return totalMs;
}

describe('retryBudgetMs', () => {
  it('covers the default policy of API.md (5 attempts within about a minute) with room to spare', () => {
    expect(retryBudgetMs({ attemptsMax: 5, backoffDelayMs: 4_000 })).toBe(270_000);
  });

  it.each([
    [1, 0],
    [1, 4_000],
    [2, 1],
    [5, 4_000],
    [10, 1_000],
    [20, 10],
  ])('is the backoff waits plus an allowance per attempt plus the margin (%i attempts, %i ms)', (attempts, delay) => {
    expect(retryBudgetMs({ attemptsMax: attempts, backoffDelayMs: delay })).toBe(
      backoffWaitsMs(attempts, delay) + attempts * attemptAllowanceMs + retryBudgetMarginMs,
    );
  });

  it('grows with attempts and with the backoff delay', () => {
    for (let attempts = 1; attempts < 15; attempts += 1) {
      expect(retryBudgetMs({ attemptsMax: attempts + 1, backoffDelayMs: 100 })).toBeGreaterThan(
        retryBudgetMs({ attemptsMax: attempts, backoffDelayMs: 100 }),
      );
    }
    expect(retryBudgetMs({ attemptsMax: 3, backoffDelayMs: 2_000 })).toBeGreaterThan(
      retryBudgetMs({ attemptsMax: 3, backoffDelayMs: 1_000 }),
    );
  });

  it('is capped for the largest configuration the schema allows (50 attempts, 600 s)', () => {
    expect(retryBudgetMs({ attemptsMax: 50, backoffDelayMs: 600_000 })).toBe(retryBudgetMsMax);
  });

  it.each([
    [0, 1_000],
    [1.5, 1_000],
    [3, -1],
    [Number.NaN, 1_000],
  ])('refuses a policy that is not one (%p attempts, %p ms)', (attempts, delay) => {
    expect(() => retryBudgetMs({ attemptsMax: attempts, backoffDelayMs: delay })).toThrow(RangeError);
  });
});

describe('strandedCheck and strandedAction', () => {
  const thresholds = strandedThresholds({ attemptsMax: 5, backoffDelayMs: 4_000 });
  const nowMs = Date.parse('2030-01-01T00:00:00Z');
  const budgetMs = thresholds.processingBudgetMs;

  it('uses the retry budget and the expiry grace', () => {
    expect(thresholds).toEqual({ processingBudgetMs: 270_000, authorizationGraceMs: authorizationExpiryGraceMs });
  });

  it.each([
    ['processing, just created', 'processing', 0, null, null, 'leave'],
    ['processing, exactly the budget old', 'processing', budgetMs, null, null, 'leave'],
    ['processing, past the budget', 'processing', budgetMs + 1, null, 'payment_stuck_processing', 'close_network_key'],
    ['processing, a day old', 'processing', 86_400_000, null, 'payment_stuck_processing', 'close_network_key'],
    ['requires_capture, not yet due', 'requires_capture', 86_400_000, -1_000, null, 'leave'],
    [
      'requires_capture, due within the grace',
      'requires_capture',
      86_400_000,
      authorizationExpiryGraceMs,
      null,
      'leave',
    ],
    [
      'requires_capture, past due and grace',
      'requires_capture',
      86_400_000,
      authorizationExpiryGraceMs + 1,
      'authorization_overdue',
      'expire_authorization',
    ],
    ['requires_capture without a due time', 'requires_capture', 86_400_000, null, null, 'leave'],
  ] as const)('%s', (_name, status, ageMs, overdueMs, check, action) => {
    const payment = {
      status,
      createdAtMs: nowMs - ageMs,
      authorizationDueAtMs: overdueMs === null ? null : nowMs - overdueMs,
    };
    expect(strandedCheck(payment, nowMs, thresholds)).toBe(check);
    expect(strandedAction(payment, nowMs, thresholds)).toBe(action);
  });

  it.each(PAYMENT_STATUSES.filter((status) => status !== 'processing' && status !== 'requires_capture'))(
    'leaves a %s payment alone however old',
    (status) => {
      const payment = { status, createdAtMs: 0, authorizationDueAtMs: 0 };
      expect(strandedCheck(payment, nowMs, thresholds)).toBeNull();
      expect(strandedAction(payment, nowMs, thresholds)).toBe('leave');
    },
  );
});

describe('outcomeOfClosedKey', () => {
  it('completes an approval as approved: a charged card is never failed', () => {
    const approval = { approved: true as const, authorizationCode: 'A1', networkReference: 'net_1' };
    expect(outcomeOfClosedKey(approval)).toEqual(approval);
    expect(closedKeyOutcomeLabel(approval)).toBe('approved');
  });

  it('completes a decline as that decline', () => {
    const decline = {
      approved: false as const,
      declineCode: 'insufficient_funds' as const,
      message: 'Insufficient funds.',
      networkReference: 'net_2',
    };
    expect(outcomeOfClosedKey(decline)).toEqual(decline);
    expect(closedKeyOutcomeLabel(decline)).toBe('declined');
  });

  it('fails a key the network never answered with processing_error', () => {
    expect(outcomeOfClosedKey(null)).toMatchObject({ approved: false, declineCode: 'processing_error' });
    expect(closedKeyOutcomeLabel(null)).toBe('voided');
  });
});
