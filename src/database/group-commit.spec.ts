import { GroupCommit, type GroupCommitOptions, type ItemOutcome } from './group-commit';

/** A GroupCommit whose batches are recorded and released by the test, one at a time. */
function harness(options: Partial<GroupCommitOptions<number, string>> = {}) {
  const batches: number[][] = [];
  const release: (() => void)[] = [];
  const alone: number[] = [];
  let failBatches = (_items: readonly number[]) => false;
  const group = new GroupCommit<number, string>({
    maxBatch: 100,
    maxInFlight: 1,
    async runBatch(items) {
      batches.push([...items]);
      await new Promise<void>((resolve) => release.push(resolve));
      if (failBatches(items)) throw new Error('batch refused');
      return items.map((item): ItemOutcome<string> =>
        item < 0 ? { ok: false, error: new Error(`refused ${item}`) } : { ok: true, value: `done ${item}` },
      );
    },
    runAlone(item) {
      alone.push(item);
      if (item === 13) return Promise.reject(new Error('13 is refused alone'));
      return Promise.resolve(`alone ${item}`);
    },
    ...options,
  });
  return {
    group,
    batches,
    alone,
    failWhen(predicate: (items: readonly number[]) => boolean) {
      failBatches = predicate;
    },
    /** Waits until a batch is writing, then lets the oldest one still writing finish. */
    async releaseNext(): Promise<void> {
      await until(() => release.length > 0);
      release.shift()!();
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let turn = 0; turn < 1_000; turn += 1) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('condition not met within 1,000 turns');
}

describe('GroupCommit', () => {
  it('writes the calls of one turn as one batch and answers each with its own result', async () => {
    const { group, batches, releaseNext } = harness();
    const answers = Promise.all([1, 2, 3].map((item) => group.submit(item)));
    await releaseNext();
    await expect(answers).resolves.toEqual(['done 1', 'done 2', 'done 3']);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('gathers the calls made while the only slot writes into the next batch', async () => {
    const { group, batches, releaseNext } = harness();
    const first = group.submit(1);
    await until(() => batches.length === 1);
    const later = [2, 3, 4].map((item) => group.submit(item));
    // Nothing starts while the slot is taken.
    await new Promise((resolve) => setImmediate(resolve));
    expect(batches).toHaveLength(1);
    await releaseNext();
    await expect(first).resolves.toBe('done 1');
    await releaseNext();
    await expect(Promise.all(later)).resolves.toEqual(['done 2', 'done 3', 'done 4']);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('never puts more than maxBatch items in a batch, and runs up to maxInFlight batches at once', async () => {
    const { group, batches, releaseNext } = harness({ maxBatch: 2, maxInFlight: 2 });
    const answers = Promise.all([1, 2, 3, 4, 5].map((item) => group.submit(item)));
    await until(() => batches.length === 2);
    expect(group.pending).toEqual({ waiting: 1, inFlight: 2 });
    for (let released = 0; released < 3; released += 1) await releaseNext();
    await expect(answers).resolves.toHaveLength(5);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('rejects only the item whose outcome is an error', async () => {
    const { group, releaseNext } = harness();
    const good = group.submit(1);
    const bad = group.submit(-1);
    await releaseNext();
    await expect(good).resolves.toBe('done 1');
    await expect(bad).rejects.toThrow('refused -1');
  });

  it('runs the items of a failed batch apart, so only the faulty one fails', async () => {
    const { group, alone, failWhen, releaseNext } = harness();
    failWhen((items) => items.includes(13));
    const answers = [12, 13, 14].map((item) => group.submit(item).catch((error: Error) => error.message));
    await releaseNext();
    await expect(Promise.all(answers)).resolves.toEqual(['alone 12', '13 is refused alone', 'alone 14']);
    expect(alone.sort()).toEqual([12, 13, 14]);
  });

  it('treats a batch that answers the wrong number of outcomes as failed', async () => {
    const group = new GroupCommit<number, string>({
      maxBatch: 10,
      maxInFlight: 1,
      runBatch: () => Promise.resolve([{ ok: true, value: 'only one' }]),
      runAlone: (item) => Promise.resolve(`alone ${item}`),
    });
    await expect(Promise.all([group.submit(1), group.submit(2)])).resolves.toEqual(['alone 1', 'alone 2']);
  });

  it('keeps going after a failed batch', async () => {
    const { group, failWhen, releaseNext } = harness();
    failWhen(() => true);
    const first = group.submit(1);
    await releaseNext();
    await expect(first).resolves.toBe('alone 1');
    failWhen(() => false);
    const second = group.submit(2);
    await releaseNext();
    await expect(second).resolves.toBe('done 2');
  });

  it('refuses limits that would never write', () => {
    const run = { runBatch: () => Promise.resolve([]), runAlone: () => Promise.resolve('') };
    expect(() => new GroupCommit({ ...run, maxBatch: 0, maxInFlight: 1 })).toThrow('maxBatch');
    expect(() => new GroupCommit({ ...run, maxBatch: 1, maxInFlight: 0 })).toThrow('maxInFlight');
  });
});
