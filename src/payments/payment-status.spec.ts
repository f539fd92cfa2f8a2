import {
  CAPTURE_METHODS,
  type CaptureMethod,
  PAYMENT_STATUSES,
  PAYMENT_TRANSITIONS,
  type PaymentStatus,
  canTransition,
  isCaptureMethod,
  isFinal,
  isPaymentStatus,
  statusAfterAuthorization,
} from './payment-status';

// Written from API.md independently of the table in payment-status.ts, as "method from->to" strings.
const allowedByApiContract = new Set([
  'automatic processing->succeeded',
  'automatic processing->failed',
  'manual processing->requires_capture',
  'manual processing->failed',
  'manual requires_capture->succeeded',
  'manual requires_capture->canceled',
]);

const everyStatus: PaymentStatus[] = ['processing', 'requires_capture', 'succeeded', 'failed', 'canceled'];
const everyMethod: CaptureMethod[] = ['automatic', 'manual'];

const everyPair = everyMethod.flatMap((captureMethod) =>
  everyStatus.flatMap((from) => everyStatus.map((to) => [captureMethod, from, to] as const)),
);

describe('the payment status machine', () => {
  it('lists the statuses and capture methods of API.md', () => {
    expect([...PAYMENT_STATUSES].sort()).toEqual([...everyStatus].sort());
    expect([...CAPTURE_METHODS].sort()).toEqual([...everyMethod].sort());
  });

  it('checks all 50 (capture method, from, to) combinations', () => {
    expect(everyPair).toHaveLength(50);
  });

  it.each(everyPair)('%s: %s -> %s is allowed only if API.md says so', (captureMethod, from, to) => {
    const expected = allowedByApiContract.has(`${captureMethod} ${from}->${to}`);
    expect(canTransition(captureMethod, from, to)).toBe(expected);
  });

  it('never allows staying in the same status', () => {
    for (const captureMethod of everyMethod) {
      for (const status of everyStatus) {
        expect(canTransition(captureMethod, status, status)).toBe(false);
      }
    }
  });

  it('has no transition out of a final status', () => {
    for (const captureMethod of everyMethod) {
      for (const from of everyStatus.filter(isFinal)) {
        expect(everyStatus.filter((to) => canTransition(captureMethod, from, to))).toEqual([]);
      }
    }
  });

  it('never enters requires_capture for an automatic payment', () => {
    for (const from of everyStatus) {
      expect(canTransition('automatic', from, 'requires_capture')).toBe(false);
    }
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(PAYMENT_TRANSITIONS)).toBe(true);
    expect(Object.isFrozen(PAYMENT_TRANSITIONS.manual)).toBe(true);
    expect(Object.isFrozen(PAYMENT_TRANSITIONS.manual.processing)).toBe(true);
    expect(() => (PAYMENT_TRANSITIONS.automatic.failed as PaymentStatus[]).push('succeeded')).toThrow(TypeError);
    expect(canTransition('automatic', 'failed', 'succeeded')).toBe(false);
  });

  it.each([
    ['an unknown capture method', 'later', 'processing', 'succeeded'],
    ['an unknown from status', 'automatic', 'pending', 'succeeded'],
    ['an unknown to status', 'automatic', 'processing', 'done'],
    ['a prototype key as from', 'automatic', 'constructor', 'succeeded'],
    ['a prototype key as capture method', '__proto__', 'processing', 'succeeded'],
    ['an upper-case status', 'automatic', 'PROCESSING', 'SUCCEEDED'],
  ])('says no for %s', (_case, captureMethod, from, to) => {
    expect(canTransition(captureMethod as CaptureMethod, from as PaymentStatus, to as PaymentStatus)).toBe(false);
  });
});

describe('isFinal', () => {
  it.each([
    ['processing', false],
    ['requires_capture', false],
    ['succeeded', true],
    ['failed', true],
    ['canceled', true],
  ] as const)('%s -> %p', (status, expected) => {
    expect(isFinal(status)).toBe(expected);
  });
});

describe('statusAfterAuthorization', () => {
  it.each([
    ['automatic', true, 'succeeded'],
    ['automatic', false, 'failed'],
    ['manual', true, 'requires_capture'],
    ['manual', false, 'failed'],
  ] as const)('%s, approved %p -> %s', (captureMethod, approved, expected) => {
    expect(statusAfterAuthorization(captureMethod, approved)).toBe(expected);
  });

  it('always names a status the machine allows from processing', () => {
    for (const captureMethod of everyMethod) {
      for (const approved of [true, false]) {
        expect(canTransition(captureMethod, 'processing', statusAfterAuthorization(captureMethod, approved))).toBe(
          true,
        );
      }
    }
  });

  it('throws for an unknown capture method', () => {
    expect(() => statusAfterAuthorization('later' as CaptureMethod, true)).toThrow(TypeError);
  });
});

describe('isPaymentStatus and isCaptureMethod', () => {
  it('accept exactly the listed values', () => {
    for (const status of everyStatus) {
      expect(isPaymentStatus(status)).toBe(true);
    }
    for (const captureMethod of everyMethod) {
      expect(isCaptureMethod(captureMethod)).toBe(true);
    }
    for (const value of ['', 'Succeeded', 'toString', 'constructor', null, undefined, 1, {}]) {
      expect(isPaymentStatus(value)).toBe(false);
      expect(isCaptureMethod(value)).toBe(false);
    }
  });
});
