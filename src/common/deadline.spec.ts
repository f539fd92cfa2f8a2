import { DeadlineError, withDeadline } from './deadline';

describe('withDeadline', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('gives the outcome of work that settles in time, and clears its timer', async () => {
    await expect(withDeadline(Promise.resolve(42), 100, 'the answer')).resolves.toBe(42);
    await expect(withDeadline(Promise.reject(new Error('refused')), 100, 'the answer')).rejects.toThrow('refused');
    expect(jest.getTimerCount()).toBe(0);
  });

  it('rejects with a DeadlineError naming the work once the deadline passes, ignoring a late outcome', async () => {
    let finish: (value: string) => void = () => undefined;
    const work = new Promise<string>((resolve) => (finish = resolve));
    const bounded = withDeadline(work, 100, 'the cache read');
    let settled = false;
    bounded.catch(() => undefined).finally(() => (settled = true));
    jest.advanceTimersByTime(99);
    await jest.advanceTimersByTimeAsync(0);
    expect(settled).toBe(false);
    jest.advanceTimersByTime(1);
    await expect(bounded).rejects.toThrow(new DeadlineError('the cache read', 100));
    expect(settled).toBe(true);
    await expect(bounded).rejects.toThrow('the cache read did not answer within 100 ms');
    finish('too late');
    await expect(bounded).rejects.toBeInstanceOf(DeadlineError);
  });
});
