import { defineCacheFamily } from './cache-family';
import { InvalidationBacklog, type MissedInvalidation } from './invalidation-backlog';

const paymentCache = defineCacheFamily('payment', { ttlMs: 60_000 });

function missed(object: string): MissedInvalidation {
  return { family: paymentCache, object };
}

function objectsOf(backlog: InvalidationBacklog): string[] | 'everything' | undefined {
  const plan = backlog.plan();
  if (!plan) return undefined;
  return plan.everything ? 'everything' : plan.invalidations.map(({ object }) => object);
}

describe('InvalidationBacklog', () => {
  it('starts empty, with nothing to replay', () => {
    const backlog = new InvalidationBacklog(3);
    expect(backlog.empty).toBe(true);
    expect(backlog.plan()).toBeUndefined();
  });

  it('remembers each object once, with the announcement of its latest miss', () => {
    const backlog = new InvalidationBacklog(3);
    backlog.add(missed('payment:m:1'));
    backlog.add(missed('payment:m:2'));
    const announcement = { channel: 'c', message: 'hash' };
    backlog.add({ family: paymentCache, object: 'payment:m:1', announcement });
    expect(backlog.empty).toBe(false);
    expect(backlog.size).toBe(2);
    const plan = backlog.plan();
    expect(plan).toMatchObject({ everything: false });
    expect(plan?.everything === false && plan.invalidations).toEqual([
      { family: paymentCache, object: 'payment:m:1', announcement },
      missed('payment:m:2'),
    ]);
  });

  it('is empty again once its plan was replayed', () => {
    const backlog = new InvalidationBacklog(3);
    backlog.add(missed('payment:m:1'));
    backlog.replayed(backlog.plan()!);
    expect(backlog.empty).toBe(true);
  });

  it('keeps what was missed while a replay ran, the same object missed again included', () => {
    const backlog = new InvalidationBacklog(3);
    backlog.add(missed('payment:m:1'));
    backlog.add(missed('payment:m:2'));
    const plan = backlog.plan()!;
    backlog.add(missed('payment:m:2'));
    backlog.add(missed('payment:m:3'));
    backlog.replayed(plan);
    expect(objectsOf(backlog)).toEqual(['payment:m:2', 'payment:m:3']);
  });

  it('takes as many objects as its bound, and forgets them all for "everything" at one more', () => {
    const backlog = new InvalidationBacklog(3);
    for (const id of [1, 2, 3, 3]) expect(backlog.add(missed(`payment:m:${id}`))).toBe(false);
    expect(backlog.overflowed).toBe(false);
    expect(backlog.add(missed('payment:m:4'))).toBe(true);
    expect(backlog.overflowed).toBe(true);
    expect(backlog.size).toBe(0);
    expect(objectsOf(backlog)).toBe('everything');
    expect(backlog.add(missed('payment:m:5'))).toBe(false);
    expect(objectsOf(backlog)).toBe('everything');
  });

  it('is empty after a drop of everything, unless something was missed while it ran', () => {
    const backlog = new InvalidationBacklog(1);
    backlog.add(missed('payment:m:1'));
    backlog.add(missed('payment:m:2'));
    const first = backlog.plan()!;
    backlog.add(missed('payment:m:3'));
    backlog.replayed(first);
    expect(objectsOf(backlog)).toBe('everything');
    backlog.replayed(backlog.plan()!);
    expect(backlog.empty).toBe(true);
  });

  it('stays overflowed when it overflowed while a replay of single objects ran', () => {
    const backlog = new InvalidationBacklog(2);
    backlog.add(missed('payment:m:1'));
    const plan = backlog.plan()!;
    backlog.add(missed('payment:m:2'));
    backlog.add(missed('payment:m:3'));
    backlog.replayed(plan);
    expect(objectsOf(backlog)).toBe('everything');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a bound of %p', (entriesMax) => {
    expect(() => new InvalidationBacklog(entriesMax)).toThrow(RangeError);
  });
});
