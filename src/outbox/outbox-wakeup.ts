/**
 * A wake-up that cannot be slept through: a signal given while nobody waits ends the next wait at once, and any
 * number of signals before that wait count as one, so a burst of commits costs one more drain, not one each.
 * One waiter at a time (each topic's drain loop owns one).
 */
export class Wakeup {
  private pending = false;
  private endWait: (() => void) | undefined;

  signal(): void {
    if (this.endWait) this.endWait();
    else this.pending = true;
  }

  /** Resolves after `timeoutMs`, or at the first signal, whichever comes first. */
  wait(timeoutMs: number): Promise<void> {
    if (this.endWait) throw new Error('Wakeup has one waiter at a time');
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const end = (): void => {
        clearTimeout(timer);
        this.endWait = undefined;
        resolve();
      };
      const timer = setTimeout(end, timeoutMs);
      this.endWait = end;
    });
  }
}
