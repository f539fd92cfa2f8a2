import fc from 'fast-check';
import { type BatchEvent, type EarlierUnsentRow, nextWave, type Settled } from './publish-plan';

/** What happens to an event of the batch: published and confirmed, published and failed, failed before publication (its stored event is missing), or published by this process already. */
type Fate = 'confirmed' | 'nacked' | 'unloadable' | 'confirmedBefore';

interface Case {
  /** Ordering key of each batch event, in outbox order (sequences 10, 20, 30, ...). */
  keys: string[];
  fates: Fate[];
  /** Rows outside the batch: their key and a sequence between the batch's (5, 15, 25, ...). */
  outside: { key: string; sequence: number }[];
}

interface Run {
  outcomes: Map<string, Settled>;
  /** The events published, wave by wave. */
  waves: string[][];
  holds: Map<string, { behind: string; behindInBatch: boolean }>;
}

const idOf = (index: number) => `obx_${index}`;

function batchOf(keys: readonly string[]): BatchEvent[] {
  return keys.map((orderingKey, index) => ({ id: idOf(index), orderingKey, sequence: BigInt((index + 1) * 10) }));
}

function outsideRowsOf(outside: Case['outside']): EarlierUnsentRow[] {
  return outside.map(({ key, sequence }, index) => ({
    id: `obx_outside_${index}`,
    orderingKey: key,
    sequence: BigInt(sequence),
  }));
}

/** The publisher's loop around nextWave, with a broker that confirms or fails each event as its fate says. */
function run({ keys, fates, outside }: Case): Run {
  const batch = batchOf(keys);
  const earlier = outsideRowsOf(outside);
  const outcomes = new Map<string, Settled>();
  batch.forEach((event, index) => {
    if (fates[index] === 'unloadable') outcomes.set(event.id, 'failed');
    if (fates[index] === 'confirmedBefore') outcomes.set(event.id, 'sent');
  });
  const result: Run = { outcomes, waves: [], holds: new Map() };
  for (let round = 0; round <= batch.length; round += 1) {
    const wave = nextWave(batch, earlier, outcomes);
    for (const hold of wave.hold) {
      if (outcomes.has(hold.id)) throw new Error(`${hold.id} held after it was settled`);
      outcomes.set(hold.id, 'held');
      result.holds.set(hold.id, { behind: hold.behind, behindInBatch: hold.behindInBatch });
    }
    if (wave.publish.length === 0) return result;
    result.waves.push(wave.publish);
    for (const id of wave.publish) {
      if (outcomes.has(id)) throw new Error(`${id} published after it was settled`);
      outcomes.set(id, fates[indexOf(id)] === 'nacked' ? 'failed' : 'sent');
    }
  }
  throw new Error('the waves did not end');
}

const indexOf = (id: string) => Number(id.slice('obx_'.length));

/**
 * The rule, stated event by event in outbox order: an event published before is sent; an unloadable one failed;
 * otherwise it is held when a row of its key outside the batch comes before it, or when an earlier event of its
 * key in the batch (not published before) failed or was held; otherwise it is published and its fate decides.
 */
function expectedOutcomes({ keys, fates, outside }: Case): Settled[] {
  const expected: Settled[] = [];
  keys.forEach((key, index) => {
    const sequence = (index + 1) * 10;
    const fate = fates[index]!;
    if (fate === 'confirmedBefore') expected.push('sent');
    else if (fate === 'unloadable') expected.push('failed');
    else if (
      outside.some((row) => row.key === key && row.sequence < sequence) ||
      keys.some((other, earlier) => earlier < index && other === key && expected[earlier] !== 'sent')
    )
      expected.push('held');
    else expected.push(fate === 'nacked' ? 'failed' : 'sent');
  });
  return expected;
}

/** How the run of `testCase` breaks the rule (plain checks: a test runs over 100,000 cases), or nothing. */
function violationsOf(testCase: Case): string[] {
  const { keys, fates } = testCase;
  const result = run(testCase);
  const violations: string[] = [];
  const expected = expectedOutcomes(testCase);
  keys.forEach((_, index) => {
    const actual = result.outcomes.get(idOf(index));
    if (actual !== expected[index]) violations.push(`${idOf(index)} is ${actual}, not ${expected[index]}`);
  });
  // Within a wave, one event per key; an event is published only once every earlier event of its key in the
  // batch (not published before) was published in an earlier wave and confirmed.
  const waveOf = new Map<string, number>();
  result.waves.forEach((wave, number) => {
    const waveKeys = wave.map((id) => keys[indexOf(id)]);
    if (new Set(waveKeys).size !== wave.length) violations.push(`wave ${number} has two events of one key`);
    for (const id of wave) waveOf.set(id, number);
  });
  keys.forEach((key, index) => {
    const wave = waveOf.get(idOf(index));
    if (wave === undefined) return;
    for (let earlier = 0; earlier < index; earlier += 1) {
      if (keys[earlier] !== key || fates[earlier] === 'confirmedBefore') continue;
      const earlierWave = waveOf.get(idOf(earlier));
      if (earlierWave === undefined || earlierWave >= wave || result.outcomes.get(idOf(earlier)) !== 'sent')
        violations.push(`${idOf(index)} published in wave ${wave} before ${idOf(earlier)} was confirmed`);
    }
  });
  // As many waves as the longest run of one key's events that get published.
  const publishedPerKey = new Map<string, number>();
  for (const id of waveOf.keys())
    publishedPerKey.set(keys[indexOf(id)]!, (publishedPerKey.get(keys[indexOf(id)]!) ?? 0) + 1);
  if (result.waves.length !== Math.max(0, ...publishedPerKey.values()))
    violations.push(
      `${result.waves.length} waves for at most ${Math.max(0, ...publishedPerKey.values())} events of a key`,
    );
  // A hold names a row it really follows: an earlier unpublished row of its key.
  for (const [id, { behind, behindInBatch }] of result.holds) {
    const index = indexOf(id);
    const row = behindInBatch
      ? { key: keys[indexOf(behind)], sequence: (indexOf(behind) + 1) * 10 }
      : testCase.outside[Number(behind.slice('obx_outside_'.length))]!;
    if (row.key !== keys[index] || row.sequence >= (index + 1) * 10 || result.outcomes.get(behind) === 'sent')
      violations.push(`${id} is held behind ${behind}, which it need not follow`);
  }
  return violations.map((violation) => `${JSON.stringify(testCase)}: ${violation}`);
}

function expectRuleKept(testCase: Case): void {
  expect(violationsOf(testCase)).toEqual([]);
}

/** Every sequence of `length` items drawn from `values`. */
function* sequencesOf<T>(values: readonly T[], length: number): Generator<T[]> {
  if (length === 0) {
    yield [];
    return;
  }
  for (const rest of sequencesOf(values, length - 1)) for (const value of values) yield [...rest, value];
}

describe('nextWave', () => {
  it('publishes a batch of distinct ordering keys in one wave, in outbox order', () => {
    const batch = batchOf(['a', 'b', 'c']);
    expect(nextWave(batch, [], new Map())).toEqual({ publish: ['obx_0', 'obx_1', 'obx_2'], hold: [] });
  });

  it('publishes a key’s second event only in the wave after its first, and never after a failed first', () => {
    const batch = batchOf(['a', 'b', 'a', 'a']);
    expect(nextWave(batch, [], new Map())).toEqual({ publish: ['obx_0', 'obx_1'], hold: [] });
    const failedFirst = new Map<string, Settled>([
      ['obx_0', 'failed'],
      ['obx_1', 'sent'],
    ]);
    expect(nextWave(batch, [], failedFirst)).toEqual({
      publish: [],
      hold: [
        { id: 'obx_2', behind: 'obx_0', behindInBatch: true },
        { id: 'obx_3', behind: 'obx_0', behindInBatch: true },
      ],
    });
    expect(nextWave(batch, [], new Map([['obx_0', 'sent']]))).toEqual({ publish: ['obx_1', 'obx_2'], hold: [] });
  });

  it('holds the events of a key behind an earlier unsent row outside the batch, and only those after it', () => {
    const batch = batchOf(['a', 'b', 'a']);
    const heldByAnotherRelay: EarlierUnsentRow[] = [{ id: 'obx_other', orderingKey: 'a', sequence: 15n }];
    expect(nextWave(batch, heldByAnotherRelay, new Map())).toEqual({
      publish: ['obx_0', 'obx_1'],
      hold: [{ id: 'obx_2', behind: 'obx_other', behindInBatch: false }],
    });
    const beforeTheBatch: EarlierUnsentRow[] = [{ id: 'obx_late', orderingKey: 'a', sequence: 5n }];
    expect(nextWave(batch, beforeTheBatch, new Map())).toEqual({
      publish: ['obx_1'],
      hold: [
        { id: 'obx_0', behind: 'obx_late', behindInBatch: false },
        { id: 'obx_2', behind: 'obx_0', behindInBatch: true },
      ],
    });
  });

  it('lets a row published before (its marking rolled back) hold nothing back', () => {
    const batch = batchOf(['a', 'a']);
    expect(nextWave(batch, [], new Map([['obx_0', 'sent']]))).toEqual({ publish: ['obx_1'], hold: [] });
    expect(nextWave(batch, [], new Map([['obx_1', 'sent']]))).toEqual({ publish: ['obx_0'], hold: [] });
  });

  it('refuses a batch out of outbox order, a row twice, and a settled row not in the batch', () => {
    const [first, second] = batchOf(['a', 'b']) as [BatchEvent, BatchEvent];
    expect(() => nextWave([second, first], [], new Map())).toThrow('not in outbox order');
    expect(() => nextWave([first, first], [], new Map())).toThrow('twice in the batch');
    expect(() => nextWave([first], [], new Map([['obx_9', 'sent']]))).toThrow('settled but not in the batch');
  });

  it('keeps the rule for every batch of up to 4 events over 2 keys, every outside row and every fate', () => {
    const gaps = [5, 15, 25, 35];
    const outsideChoices = [undefined, ...gaps];
    const violations: string[] = [];
    let cases = 0;
    for (let length = 0; length <= 4; length += 1) {
      for (const keys of sequencesOf(['a', 'b'], length)) {
        for (const [outsideA, outsideB] of sequencesOf(outsideChoices, 2)) {
          const outside = [
            ...(outsideA === undefined ? [] : [{ key: 'a', sequence: outsideA }]),
            ...(outsideB === undefined ? [] : [{ key: 'b', sequence: outsideB }]),
          ];
          for (const fates of sequencesOf<Fate>(['confirmed', 'nacked', 'unloadable', 'confirmedBefore'], length)) {
            violations.push(...violationsOf({ keys, fates, outside }));
            cases += 1;
          }
        }
      }
    }
    expect(violations.slice(0, 5)).toEqual([]);
    expect(cases).toBe(25 * (1 + 2 * 4 + 4 * 16 + 8 * 64 + 16 * 256));
  });

  it('keeps the rule for larger batches over more keys and several outside rows', () => {
    const key = fc.constantFrom('a', 'b', 'c', 'd');
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ key, fate: fc.constantFrom<Fate>('confirmed', 'nacked', 'unloadable', 'confirmedBefore') }),
          {
            maxLength: 14,
          },
        ),
        // Between the batch's rows (10, 20, ...), before the first and after the last.
        fc.array(fc.record({ key, sequence: fc.integer({ min: 0, max: 15 }).map((gap) => gap * 10 + 5) }), {
          maxLength: 6,
        }),
        (events, outside) => {
          expectRuleKept({ keys: events.map((event) => event.key), fates: events.map((event) => event.fate), outside });
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
