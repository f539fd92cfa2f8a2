/** What the running work can see of its flight: whether the key was invalidated while it ran. */
export interface Flight {
  readonly invalidated: boolean;
}

interface Running<T> {
  readonly result: Promise<T>;
  readonly flight: { invalidated: boolean };
}

/**
 * At most one `work` per key at a time in this process: callers arriving while it runs share its result (or its
 * error) instead of starting their own. `invalidate` detaches the running work, so later callers start afresh and
 * the work can tell that what it loaded may predate the change and must not be cached.
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Running<T>>();

  run(key: string, work: (flight: Flight) => Promise<T>): { result: Promise<T>; joined: boolean } {
    const current = this.running.get(key);
    if (current) return { result: current.result, joined: true };
    const flight = { invalidated: false };
    const result = Promise.resolve()
      .then(() => work(flight))
      .finally(() => {
        if (this.running.get(key)?.flight === flight) this.running.delete(key);
      });
    this.running.set(key, { result, flight });
    return { result, joined: false };
  }

  invalidate(key: string): void {
    const current = this.running.get(key);
    if (!current) return;
    current.flight.invalidated = true;
    this.running.delete(key);
  }

  /** `invalidate` for every key with work running. */
  invalidateAll(): void {
    for (const current of this.running.values()) current.flight.invalidated = true;
    this.running.clear();
  }

  /** Keys with work running, for tests and assertions. */
  get size(): number {
    return this.running.size;
  }
}
