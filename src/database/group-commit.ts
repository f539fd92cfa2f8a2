import type { Context } from '@opentelemetry/api';
import { activeTraceContext, isTracingOn } from '../telemetry/trace-context';
import { inWorkSpan, linksTo } from '../telemetry/traced-work';

/** What a batch decided for one of its items: its result, or the error that item alone is answered with. */
export type ItemOutcome<Result> = { ok: true; value: Result } | { ok: false; error: unknown };

export interface GroupCommitOptions<Item, Result> {
  /**
   * Writes every item of the batch at once (one transaction, multi-row statements) and answers one outcome per
   * item, in the items' order. Throwing fails the batch as a whole: its items are then run apart.
   */
  runBatch(items: readonly Item[]): Promise<readonly ItemOutcome<Result>[]>;
  /**
   * One item on its own, after its batch failed: so that a row the database refuses fails only its own request
   * (and a batch of one that failed gets the careful path of a single request).
   */
  runAlone(item: Item): Promise<Result>;
  /** Items per batch at most (multi-row statements stay well below PostgreSQL's 65,535 parameters). */
  maxBatch: number;
  /** Batches writing at once at most; while they all write, new items gather into the next batch. */
  maxInFlight: number;
  /** The span of a batch's write, when tracing is on (`payments.create`, say). */
  name?: string;
}

interface Waiting<Item, Result> {
  item: Item;
  /** The caller's trace context, when tracing is on. */
  traceContext: Context | undefined;
  resolve(value: Result): void;
  reject(error: unknown): void;
}

/**
 * Group commit: concurrent calls are gathered and written together, so that a burst of N requests costs a few
 * transactions (a few commits, a few multi-row statements) instead of N of each.
 *
 * There is no timer: a batch starts as soon as the event loop has taken the calls of the current turn (and a
 * slot is free), so a lone call waits for nothing; under load the batches grow by themselves, from the calls that
 * arrive while `maxInFlight` batches are writing. Each caller's promise settles only once its batch has committed
 * (or failed), so an answer still means "written".
 */
export class GroupCommit<Item, Result> {
  private readonly waiting: Waiting<Item, Result>[] = [];
  private inFlight = 0;
  private startScheduled = false;

  constructor(private readonly options: GroupCommitOptions<Item, Result>) {
    if (!Number.isInteger(options.maxBatch) || options.maxBatch < 1) throw new Error('maxBatch must be ≥ 1');
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) throw new Error('maxInFlight must be ≥ 1');
  }

  /** Resolves with the item's result once its batch committed; rejects with the error meant for this item. */
  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.waiting.push({ item, traceContext: activeTraceContext(), resolve, reject });
      this.scheduleStart();
    });
  }

  /** Calls waiting for a batch, and batches writing: for metrics and tests. */
  get pending(): { waiting: number; inFlight: number } {
    return { waiting: this.waiting.length, inFlight: this.inFlight };
  }

  private scheduleStart(): void {
    if (this.startScheduled || this.inFlight >= this.options.maxInFlight) return;
    this.startScheduled = true;
    // After the current turn: the calls the same burst of I/O callbacks made join this batch.
    setImmediate(() => {
      this.startScheduled = false;
      this.startBatches();
    });
  }

  private startBatches(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight += 1;
      void this.write(batch).finally(() => {
        this.inFlight -= 1;
        if (this.waiting.length > 0) this.scheduleStart();
      });
    }
  }

  /**
   * With tracing on, a batch's write is a span of its own: the child of its first traced caller (the trace a lone
   * call stays in), linked to the others, whose own traces go on through what the batch wrote for each (their
   * outbox rows keep their callers' contexts). Without it, the write would run in whatever context scheduled it:
   * the caller that started the batch, or the batch before it.
   */
  private write(batch: Waiting<Item, Result>[]): Promise<void> {
    if (!isTracingOn()) return this.writeBatch(batch);
    const traced = batch.flatMap((waiting) => (waiting.traceContext ? [waiting.traceContext] : []));
    if (traced.length === 0) return this.writeBatch(batch);
    return inWorkSpan(
      this.options.name ?? 'group commit',
      { parent: traced[0], links: linksTo(traced.slice(1)), attributes: { 'batch.size': batch.length } },
      () => this.writeBatch(batch),
    );
  }

  private async writeBatch(batch: Waiting<Item, Result>[]): Promise<void> {
    let outcomes: readonly ItemOutcome<Result>[];
    try {
      outcomes = await this.options.runBatch(batch.map((waiting) => waiting.item));
      if (outcomes.length !== batch.length) {
        throw new Error(`a batch of ${batch.length} answered ${outcomes.length} outcomes`);
      }
    } catch {
      // The batch rolled back as a whole: each item is written apart, so only the one at fault fails (the batch's
      // error is the one each item meets again on its own, if it is not about a single row).
      await Promise.all(
        batch.map(async (waiting) => {
          try {
            waiting.resolve(await this.options.runAlone(waiting.item));
          } catch (error) {
            waiting.reject(error);
          }
        }),
      );
      return;
    }
    for (const [index, waiting] of batch.entries()) {
      const outcome = outcomes[index]!;
      if (outcome.ok) waiting.resolve(outcome.value);
      else waiting.reject(outcome.error);
    }
  }
}
