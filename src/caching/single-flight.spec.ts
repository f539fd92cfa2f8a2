import { SingleFlight } from './single-flight';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('SingleFlight', () => {
  it('runs the work once for concurrent callers of one key and gives them all its result', async () => {
    const flights = new SingleFlight<string>();
    const gate = deferred<string>();
    let runs = 0;
    const calls = Array.from({ length: 200 }, () =>
      flights.run('k', () => {
        runs += 1;
        return gate.promise;
      }),
    );
    gate.resolve('value');
    expect(await Promise.all(calls.map((call) => call.result))).toEqual(Array(200).fill('value'));
    expect(runs).toBe(1);
    expect(calls.filter((call) => call.joined)).toHaveLength(199);
    expect(flights.size).toBe(0);
  });

  it('runs different keys independently', async () => {
    const flights = new SingleFlight<string>();
    const results = await Promise.all(['a', 'b'].map((key) => flights.run(key, () => Promise.resolve(key)).result));
    expect(results).toEqual(['a', 'b']);
  });

  it('shares an error with every waiting caller, then starts afresh', async () => {
    const flights = new SingleFlight<string>();
    const gate = deferred<string>();
    const first = flights.run('k', () => gate.promise);
    const second = flights.run('k', () => Promise.resolve('unused'));
    gate.reject(new Error('load failed'));
    await expect(first.result).rejects.toThrow('load failed');
    await expect(second.result).rejects.toThrow('load failed');
    const retry = flights.run('k', () => Promise.resolve('fresh'));
    expect(retry.joined).toBe(false);
    await expect(retry.result).resolves.toBe('fresh');
  });

  it('turns a work that throws synchronously into a rejection', async () => {
    const flights = new SingleFlight<string>();
    const call = flights.run('k', () => {
      throw new Error('sync');
    });
    await expect(call.result).rejects.toThrow('sync');
    expect(flights.size).toBe(0);
  });

  it('after invalidate, starts new callers afresh and tells the running work', async () => {
    const flights = new SingleFlight<string>();
    const gate = deferred<string>();
    let seenInvalidated: boolean | undefined;
    const stale = flights.run('k', async (flight) => {
      const value = await gate.promise;
      seenInvalidated = flight.invalidated;
      return value;
    });
    flights.invalidate('k');
    const fresh = flights.run('k', () => Promise.resolve('fresh'));
    expect(fresh.joined).toBe(false);
    gate.resolve('stale');
    await expect(stale.result).resolves.toBe('stale');
    await expect(fresh.result).resolves.toBe('fresh');
    expect(seenInvalidated).toBe(true);
  });

  it('does not let an invalidated work remove the flight that replaced it', async () => {
    const flights = new SingleFlight<string>();
    const oldGate = deferred<string>();
    const newGate = deferred<string>();
    const old = flights.run('k', () => oldGate.promise);
    flights.invalidate('k');
    const replacement = flights.run('k', () => newGate.promise);
    oldGate.resolve('old');
    await old.result;
    expect(flights.run('k', () => Promise.resolve('third')).joined).toBe(true);
    newGate.resolve('new');
    await expect(replacement.result).resolves.toBe('new');
  });

  it('after invalidateAll, tells every running work and starts new callers of every key afresh', async () => {
    const flights = new SingleFlight<boolean>();
    const gate = deferred<void>();
    const running = ['a', 'b'].map((key) =>
      flights.run(key, async (flight) => {
        await gate.promise;
        return flight.invalidated;
      }),
    );
    flights.invalidateAll();
    expect(flights.size).toBe(0);
    expect(flights.run('a', () => Promise.resolve(false)).joined).toBe(false);
    gate.resolve();
    expect(await Promise.all(running.map(({ result }) => result))).toEqual([true, true]);
  });
});
