import type { CacheFamily } from './cache-family';
import type { Announcement } from './cache-store';

/** An invalidation the cache Redis did not confirm: it must be made again before this process trusts the cache. */
export interface MissedInvalidation {
  family: CacheFamily;
  /** The 'data' key of the object (`family:merchantId:id`). */
  object: string;
  /** Published with the invalidation when it is made (an API key's revocation). */
  announcement?: Announcement;
}

/** What one replay must make in Redis: the invalidations remembered, or, after an overflow, a drop of everything. */
export type ReplayPlan =
  | { everything: false; invalidations: MissedInvalidation[]; throughSequence: number }
  | { everything: true; throughSequence: number };

/**
 * The invalidations this process missed, one per object (a later miss of the same object replaces the earlier),
 * at most `entriesMax`. One more and it forgets them all and remembers only that it missed an unknown set: every
 * entry must then go. A replay takes a plan, makes it, and reports it made; what was missed while it ran stays.
 */
export class InvalidationBacklog {
  private readonly missed = new Map<string, { invalidation: MissedInvalidation; sequence: number }>();
  private everything = false;
  /** Counts every miss, so that a replay forgets only what its plan covered. */
  private sequence = 0;

  constructor(private readonly entriesMax: number) {
    if (!Number.isInteger(entriesMax) || entriesMax < 1) throw new RangeError('entriesMax must be a positive integer');
  }

  /** Nothing to replay: the cache holds nothing this process failed to invalidate. */
  get empty(): boolean {
    return !this.everything && this.missed.size === 0;
  }

  /** Invalidations remembered one by one (0 after an overflow). */
  get size(): number {
    return this.missed.size;
  }

  /** Whether more were missed than could be remembered: the next replay drops every entry. */
  get overflowed(): boolean {
    return this.everything;
  }

  /** Remembers `invalidation`; answers true when this is the miss that overflowed the bound. */
  add(invalidation: MissedInvalidation): boolean {
    this.sequence += 1;
    if (this.everything) return false;
    if (!this.missed.has(invalidation.object) && this.missed.size >= this.entriesMax) {
      this.missed.clear();
      this.everything = true;
      return true;
    }
    this.missed.set(invalidation.object, { invalidation, sequence: this.sequence });
    return false;
  }

  /** What a replay must make now, or undefined when there is nothing to replay. */
  plan(): ReplayPlan | undefined {
    if (this.everything) return { everything: true, throughSequence: this.sequence };
    if (this.missed.size === 0) return undefined;
    const invalidations = [...this.missed.values()].map(({ invalidation }) => invalidation);
    return { everything: false, invalidations, throughSequence: this.sequence };
  }

  /** `plan` was made in Redis: forgets what it covered. */
  replayed(plan: ReplayPlan): void {
    if (plan.everything) {
      // A miss after the plan was taken may postdate the drop, and was not remembered on its own: drop again.
      if (this.sequence === plan.throughSequence) this.everything = false;
      return;
    }
    for (const [object, { sequence }] of this.missed) {
      if (sequence <= plan.throughSequence) this.missed.delete(object);
    }
  }
}
