import type { LoggerService } from '@nestjs/common';
import { withDeadline } from '../common/deadline';
import { errorMessage } from '../common/errors/error-message';
import { entryKeysOf, generationKeyOf } from './cache-key';
import type { Announcement, CacheRedisStore } from './cache-store';
import {
  cacheFailureLogIntervalMs,
  cacheRejoinQuietMs,
  dropScanCount,
  generationTtlMs,
  invalidationReplayBatchMax,
  invalidationReplayRetryMs,
  invalidationsPendingMax,
} from './caching.limits';
import { InvalidationBacklog, type MissedInvalidation, type ReplayPlan } from './invalidation-backlog';

/** Where a read must go when the cache is not trusted: to the cache after all, or to its loader (and, when the
 * cache failed, why: the read counts it as an error). */
export type ReadVerdict = { use: 'cache' } | { use: 'loader'; failure?: unknown };

export interface RecoverySnapshot {
  /** Invalidations remembered one by one, to be made again. */
  pendingInvalidations: number;
  /** More were missed than remembered: the next replay drops every entry. */
  overflowed: boolean;
  /** The connection came back a moment ago: reads wait for other processes to replay theirs. */
  quiet: boolean;
  /** Whether reads use the cache now. */
  trusted: boolean;
}

/**
 * Keeps this process from serving entries that invalidations it could not make left in the cache Redis: a Redis
 * that was down, or cut off from this process, may come back with the data it had (restarted from its AOF, or
 * never restarted at all).
 *
 * Each invalidation the cache did not confirm is remembered (one per object, up to invalidationsPendingMax; past
 * that, only that an unknown set was missed). Until they have all been made again in Redis ("replayed"), this
 * process reads nothing from the cache: reads go to their loaders (PostgreSQL), and a read first tries the replay
 * itself, so no cached read comes before it. Replays also start on reconnection and every
 * invalidationReplayRetryMs, since other processes read the same entries. A replay makes each invalidation again
 * (new generation, entries deleted, a revocation published again), or, after an overflow, advances the namespace's
 * epoch and deletes every entry of every family. Either way a load running elsewhere that read the old generation
 * or epoch cannot store what it read afterwards. After its connection comes back, a process also waits
 * cacheRejoinQuietMs before it reads the cache again, so that the other processes, cut off too, can reconnect
 * and replay what they missed.
 *
 * What remains (the residual window), each case bounded by the entries' TTLs (caching.limits) as before:
 * - A process that did not lose its own connection (another process partitioned alone, or a Redis that hung
 *   without dropping connections) serves the entries another process could not invalidate until that process's
 *   replay lands: as long as that process stays cut off, then up to cacheReconnectDelayMaxMs for it to reconnect
 *   (or up to invalidationReplayRetryMs after a hang ends, sooner if it serves a read meanwhile).
 * - A process that lost its connection too, but came back more than cacheRejoinQuietMs before the one that missed
 *   the invalidation, serves them from then until that replay lands. So does a process whose very first connection
 *   came after the outage (it started meanwhile): it has no reconnection to wait after.
 * - A process that exits before its replay lands (crash, deploy) takes what it missed with it: those entries live
 *   until their TTL, for every process.
 * - The generation and epoch keys are ordinary keys: a Redis that evicts them (an allkeys-* maxmemory policy) can
 *   let a load that read them before an invalidation store what it read.
 */
export class CacheRecovery {
  /** The hot path's only check: nothing to replay and no quiet period, so reads use the cache as usual. */
  trusted = true;
  private readonly backlog = new InvalidationBacklog(invalidationsPendingMax);
  private replaying: Promise<void> | undefined;
  private quietTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failureLoggedAtMs = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly store: CacheRedisStore,
    private readonly logger: LoggerService,
    /** Published when every entry was dropped, so that other processes drop their in-process API keys too. */
    private readonly everythingAnnouncement: Announcement,
    /** Called once every entry was dropped, for this process's own in-process copies. */
    private readonly everythingDropped: () => void,
  ) {
    store.onReconnection(() => this.reconnected());
  }

  /** The cache did not confirm `invalidation`: remember it, and read nothing from the cache until it is made. */
  missed(invalidation: MissedInvalidation): void {
    if (this.closed) return;
    if (this.backlog.add(invalidation)) {
      this.logger.warn(
        `more than ${invalidationsPendingMax} cache invalidations failed: every entry of the cache will be ` +
          'dropped before this process reads it again',
      );
    }
    this.trusted = false;
    this.retryTimer ??= setInterval(() => this.replayInBackground(), invalidationReplayRetryMs).unref();
  }

  /**
   * For a read while the cache is not trusted: replays what was missed (waiting for it at most one command
   * deadline) and answers whether the read may use the cache now.
   */
  async beforeRead(): Promise<ReadVerdict> {
    if (!this.backlog.empty) {
      try {
        await withDeadline(this.replay(), this.store.commandTimeoutMs, 'replaying missed cache invalidations');
      } catch (error) {
        return { use: 'loader', failure: error };
      }
      // Missed again while it ran: the cache is failing now.
      if (!this.backlog.empty) return { use: 'loader', failure: new Error('a cache invalidation failed meanwhile') };
    }
    return this.quietTimer === undefined ? { use: 'cache' } : { use: 'loader' };
  }

  snapshot(): RecoverySnapshot {
    return {
      pendingInvalidations: this.backlog.size,
      overflowed: this.backlog.overflowed,
      quiet: this.quietTimer !== undefined,
      trusted: this.trusted,
    };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.quietTimer);
    clearInterval(this.retryTimer);
  }

  private reconnected(): void {
    if (this.closed) return;
    this.logger.log(
      `cache Redis connection back: reads skip the cache for ${cacheRejoinQuietMs} ms, while other processes ` +
        'replay the invalidations they missed',
    );
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => {
      this.quietTimer = undefined;
      this.updateTrust();
    }, cacheRejoinQuietMs).unref();
    this.trusted = false;
    this.replayInBackground();
  }

  private replayInBackground(): void {
    if (this.backlog.empty || !this.store.isReady) return;
    this.replay().catch(() => undefined);
  }

  /** One replay at a time; every caller waits for the running one. Rejects when the cache did not confirm it. */
  private replay(): Promise<void> {
    if (this.replaying) return this.replaying;
    const running = this.replayNow().finally(() => {
      this.replaying = undefined;
      this.updateTrust();
    });
    running.catch(() => undefined);
    this.replaying = running;
    return running;
  }

  private async replayNow(): Promise<void> {
    const plan = this.backlog.plan();
    if (!plan) return;
    try {
      // Failing at once beats a command that would: with the offline queue disabled it would fail anyway.
      if (!this.store.isReady) throw new Error('the cache Redis is not connected');
      await this.make(plan);
    } catch (error) {
      this.replayFailed(error);
      throw error;
    }
    this.backlog.replayed(plan);
  }

  private async make(plan: ReplayPlan): Promise<void> {
    if (plan.everything) {
      const deleted = await this.store.dropEverything(
        this.store.commandTimeoutMs,
        dropScanCount,
        this.everythingAnnouncement,
      );
      this.everythingDropped();
      this.logger.log(`dropped every cache entry (${deleted}) after more invalidations failed than were remembered`);
      return;
    }
    const { invalidations } = plan;
    for (let start = 0; start < invalidations.length; start += invalidationReplayBatchMax) {
      const batch = invalidations.slice(start, start + invalidationReplayBatchMax);
      await Promise.all(
        batch.map(({ object, announcement }) =>
          withDeadline(
            this.store.invalidate(generationKeyOf(object), entryKeysOf(object), generationTtlMs, announcement),
            this.store.commandTimeoutMs,
            'cache invalidation replay',
          ),
        ),
      );
    }
    this.logger.log(`failed cache invalidations made again: ${invalidations.length}; reading the cache again`);
  }

  private replayFailed(error: unknown): void {
    const nowMs = Date.now();
    if (nowMs - this.failureLoggedAtMs < cacheFailureLogIntervalMs) return;
    this.failureLoggedAtMs = nowMs;
    this.logger.warn(
      `replaying failed cache invalidations failed, reads stay on the loaders until it succeeds: ${errorMessage(error)}`,
    );
  }

  private updateTrust(): void {
    this.trusted = this.backlog.empty && this.quietTimer === undefined;
    if (this.backlog.empty) {
      clearInterval(this.retryTimer);
      this.retryTimer = undefined;
    }
  }
}
