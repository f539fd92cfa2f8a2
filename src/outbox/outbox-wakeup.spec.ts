import { Wakeup } from './outbox-wakeup';

describe('Wakeup', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  function tracked(wait: Promise<void>): { ended: () => boolean } {
    let ended = false;
    void wait.then(() => (ended = true));
    return { ended: () => ended };
  }

  it('ends a wait at the timeout when nothing signals, and clears its timer', async () => {
    const wait = tracked(new Wakeup().wait(500));
    await jest.advanceTimersByTimeAsync(499);
    expect(wait.ended()).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(wait.ended()).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('ends a wait in progress at the signal, before the timeout', async () => {
    const wakeup = new Wakeup();
    const wait = tracked(wakeup.wait(500));
    await jest.advanceTimersByTimeAsync(10);
    wakeup.signal();
    await jest.advanceTimersByTimeAsync(0);
    expect(wait.ended()).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('is not slept through: a signal while nobody waits ends the next wait at once', async () => {
    const wakeup = new Wakeup();
    wakeup.signal();
    const wait = tracked(wakeup.wait(500));
    await jest.advanceTimersByTimeAsync(0);
    expect(wait.ended()).toBe(true);
  });

  it('counts signals given before a wait as one', async () => {
    const wakeup = new Wakeup();
    wakeup.signal();
    wakeup.signal();
    wakeup.signal();
    await wakeup.wait(500);
    const second = tracked(wakeup.wait(500));
    await jest.advanceTimersByTimeAsync(499);
    expect(second.ended()).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(second.ended()).toBe(true);
  });

  it('does not carry a signal that ended a wait over to the next one', async () => {
    const wakeup = new Wakeup();
    const first = wakeup.wait(500);
    wakeup.signal();
    await first;
    const second = tracked(wakeup.wait(500));
    await jest.advanceTimersByTimeAsync(499);
    expect(second.ended()).toBe(false);
  });

  it('has one waiter at a time', () => {
    const wakeup = new Wakeup();
    void wakeup.wait(500);
    expect(() => wakeup.wait(500)).toThrow('one waiter at a time');
  });
});
