// Which events of one relay batch go to RabbitMQ now, which wait for the next wave, and which are held for a
// later pass: the rule that keeps each ordering key's events in outbox order while the other keys go on. Pure: the
// publisher (event-publisher.ts) loads the batch and the lookup, publishes the waves and reports the outcomes.

/** An event of the batch: its outbox row, in outbox order. */
export interface BatchEvent {
  /** The outbox row id. */
  id: string;
  orderingKey: string;
  /** The outbox sequence (outbox order). */
  sequence: bigint;
}

/**
 * An unsent row of the event topic that is not in the batch but comes before one of its rows: another relay holds
 * it (SKIP LOCKED gave it the row), or it committed after the batch was read. Rows this process has seen
 * confirmed are not passed: they are published already.
 */
export interface EarlierUnsentRow {
  id: string;
  orderingKey: string;
  sequence: bigint;
}

/** What became of a batch row so far: published and confirmed, failed, or held for a later pass. */
export type Settled = 'sent' | 'failed' | 'held';

export interface Hold {
  id: string;
  /** The unpublished row it must follow: outside the batch, or earlier in it (failed or held). */
  behind: string;
  behindInBatch: boolean;
}

export interface Wave {
  /** To publish now: the next unsettled event of each ordering key whose earlier events are all sent. */
  publish: string[];
  /** Not to publish in this batch (they stay unsent, for a later pass), newly decided by this call. */
  hold: Hold[];
}

/** The batch's ids, once its order is checked. */
function idsInOutboxOrder(batch: readonly BatchEvent[]): Set<string> {
  const ids = new Set<string>();
  for (const [index, event] of batch.entries()) {
    if (ids.has(event.id)) throw new Error(`publish plan: outbox row ${event.id} is twice in the batch`);
    ids.add(event.id);
    const previous = batch[index - 1];
    if (previous && previous.sequence >= event.sequence)
      throw new Error(
        `publish plan: the batch is not in outbox order at ${event.id} (${event.sequence} after ${previous.sequence})`,
      );
  }
  return ids;
}

/**
 * The next wave of a batch, given what is settled so far (nothing, for the first wave). A wave carries at most
 * one event per ordering key, so the publisher waits for RabbitMQ's confirms once per wave and never has two
 * events of one key unconfirmed at once: an event goes out only after every earlier event of its key in the batch
 * was confirmed, whatever the broker does with the others. A batch whose ordering keys are all distinct (the
 * common case) is one wave.
 *
 * An event is held, and so is every later event of its ordering key, when an unsent row of that key outside the
 * batch comes before it, or when an earlier event of its key in the batch failed or was held. Events of other keys
 * are not affected. A row settled `sent` (published by this process already) holds nothing back, wherever it is.
 * Publish the wave, settle every event in it, and call again until the wave is empty.
 */
export function nextWave(
  batch: readonly BatchEvent[],
  earlierUnsent: readonly EarlierUnsentRow[],
  settled: ReadonlyMap<string, Settled>,
): Wave {
  const ids = idsInOutboxOrder(batch);
  for (const id of settled.keys()) {
    if (!ids.has(id)) throw new Error(`publish plan: ${id} is settled but not in the batch`);
  }
  const firstOutside = new Map<string, EarlierUnsentRow>();
  for (const row of earlierUnsent) {
    const first = firstOutside.get(row.orderingKey);
    if (!first || row.sequence < first.sequence) firstOutside.set(row.orderingKey, row);
  }
  // Per ordering key: the batch row the later ones must follow (failed or held), and whether an earlier one is
  // still to be published (in this wave or the next).
  const blockedBehind = new Map<string, string>();
  const pendingAhead = new Set<string>();
  const wave: Wave = { publish: [], hold: [] };
  for (const event of batch) {
    const key = event.orderingKey;
    const state = settled.get(event.id);
    if (state === 'sent') continue;
    if (state === 'failed' || state === 'held') {
      if (!blockedBehind.has(key)) blockedBehind.set(key, event.id);
      continue;
    }
    const behind = blockedBehind.get(key);
    const outside = firstOutside.get(key);
    if (behind !== undefined) {
      wave.hold.push({ id: event.id, behind, behindInBatch: true });
    } else if (outside && outside.sequence < event.sequence) {
      wave.hold.push({ id: event.id, behind: outside.id, behindInBatch: false });
      blockedBehind.set(key, event.id);
    } else if (!pendingAhead.has(key)) {
      wave.publish.push(event.id);
      pendingAhead.add(key);
    }
  }
  return wave;
}
