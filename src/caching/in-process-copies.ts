import { LRUCache } from 'lru-cache';
import { type CacheFamily, cacheFamilyNamed } from './cache-family';

/** A found entry as the cache stores it. */
export interface FoundEntry {
  found: true;
  value: unknown;
}

/** Published when every entry was dropped: every process drops every in-process copy. Not an object key (those
 * start with a family name), so no invalidation is ever mistaken for it. */
export const everyCopyDroppedMessage = ':all';

/**
 * The in-process copies of the families that ask for them (`inProcess` in defineCacheFamily), one LRU per family,
 * keyed by the entry key (`family:merchantId:id`). An invalidation of such a family is published on the cache
 * Redis with the object's key as the message, and every process drops its copy on receipt (see HotCache).
 */
export class InProcessCopies {
  private readonly byFamily = new Map<string, LRUCache<string, FoundEntry>>();
  private receivedCount = 0;

  get(family: CacheFamily, key: string): FoundEntry | undefined {
    return this.byFamily.get(family.name)?.get(key);
  }

  keep(family: CacheFamily, key: string, entry: FoundEntry): void {
    const layer = family.inProcess;
    if (!layer) return;
    let copies = this.byFamily.get(family.name);
    if (!copies) {
      copies = new LRUCache<string, FoundEntry>({ max: layer.entriesMax, ttl: layer.ttlMs });
      this.byFamily.set(family.name, copies);
    }
    copies.set(key, entry);
  }

  drop(family: CacheFamily, key: string): void {
    this.byFamily.get(family.name)?.delete(key);
  }

  dropEverything(): void {
    for (const copies of this.byFamily.values()) copies.clear();
  }

  /**
   * A message from another process: the object key it invalidated, or `everyCopyDroppedMessage`. Returns the
   * family and object key of a copy to drop, 'everything', or undefined for a message that names no family with
   * copies (a version that does not know it ignores it).
   */
  received(message: string): { family: CacheFamily; object: string } | 'everything' | undefined {
    this.receivedCount += 1;
    if (message === everyCopyDroppedMessage) return 'everything';
    const family = cacheFamilyNamed(message.slice(0, message.indexOf(':')));
    if (!family?.inProcess) return undefined;
    return { family, object: message };
  }

  /** Messages received since start. */
  get messagesReceived(): number {
    return this.receivedCount;
  }
}
