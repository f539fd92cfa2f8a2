/**
 * A kind of thing cached (a payment, a balance, an API key), declared by the feature that owns it, in its own
 * folder, with its own bounds: the caching module keeps no list of features.
 *
 *     export const paymentCache = defineCacheFamily('payment', { ttlMs: paymentCacheTtlMs });
 *
 * Its entries are keyed `name:merchantId:id`, counted under `family="name"` in the cache_* metrics, and deleted by
 * `HotCache.invalidateAfterCommit(tx, family, merchantId, id)` in the service that changes them.
 */
export interface CacheFamily {
  readonly name: string;
  /** How long a found entry lives: the upper bound on staleness after an invalidation that failed. */
  readonly ttlMs: number;
  /** Also kept in each process for a read on every request (API keys); absent for most families. */
  readonly inProcess?: InProcessLayer;
}

/**
 * An in-process copy in front of Redis. An invalidation is published on the cache Redis and every process drops
 * its copy when the message arrives; `ttlMs` bounds how long a process that missed the message serves its copy.
 */
export interface InProcessLayer {
  readonly ttlMs: number;
  /** Entries kept per process; the least recently used go first, so memory stays bounded whatever clients send. */
  readonly entriesMax: number;
}

export type CacheFamilyOptions = Omit<CacheFamily, 'name'>;

// Key names the cache keeps for itself beside the entries (see cache-key.ts).
const reservedNames: ReadonlySet<string> = new Set(['generation', 'epoch']);
const namePattern = /^[a-z][a-z0-9_]{0,63}$/;

const families = new Map<string, CacheFamily>();

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer: ${value}`);
}

/**
 * Declares a family once per process (at import time of the feature's file). Declaring a name again with other
 * options is a mistake (two features sharing keys) and throws; with the same options it returns the first one.
 */
export function defineCacheFamily(name: string, options: CacheFamilyOptions): CacheFamily {
  if (!namePattern.test(name) || reservedNames.has(name)) {
    throw new TypeError(`a cache family name is 1 to 64 of [a-z0-9_], starts with a letter, not reserved: ${name}`);
  }
  assertPositiveInteger(`cache family ${name} ttlMs`, options.ttlMs);
  if (options.inProcess) {
    assertPositiveInteger(`cache family ${name} inProcess.ttlMs`, options.inProcess.ttlMs);
    assertPositiveInteger(`cache family ${name} inProcess.entriesMax`, options.inProcess.entriesMax);
  }
  const family: CacheFamily = Object.freeze({
    name,
    ttlMs: options.ttlMs,
    ...(options.inProcess ? { inProcess: Object.freeze({ ...options.inProcess }) } : {}),
  });
  const known = families.get(name);
  if (known) {
    if (JSON.stringify(known) !== JSON.stringify(family)) {
      throw new TypeError(`cache family ${name} is already defined with other options`);
    }
    return known;
  }
  families.set(name, family);
  return family;
}

/** The family defined under `name`, if any (for keys read back from Redis or a message). */
export function cacheFamilyNamed(name: string): CacheFamily | undefined {
  return families.get(name);
}

/** Every family defined in this process, in the order of definition. */
export function definedCacheFamilies(): readonly CacheFamily[] {
  return [...families.values()];
}

/** Whether `name` is one the cache keeps for itself, so that no entry key can start with it. */
export function isReservedKeyName(name: string): boolean {
  return reservedNames.has(name);
}
