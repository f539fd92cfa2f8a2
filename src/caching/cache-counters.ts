import { Counter, type Registry } from 'prom-client';
import { type CacheFamily, definedCacheFamilies } from './cache-family';

export interface CacheFamilyCounts {
  /** Reads answered from the cache (Redis, or this process for API keys), "not found" markers included. */
  hits: number;
  /** Reads that found nothing cached and ran the loader. */
  misses: number;
  /** Cache commands that failed or missed their deadline; the caller was served from the loader instead. */
  errors: number;
  /** Reads that waited for a load another caller had started for the same key, instead of loading again. */
  coalescedLoads: number;
}

type CountName = keyof CacheFamilyCounts;

const counterDefinitions: Record<CountName, { name: string; help: string }> = {
  hits: { name: 'cache_hits_total', help: 'Cache reads answered from the cache, not-found markers included' },
  misses: { name: 'cache_misses_total', help: 'Cache reads that found nothing and ran the loader' },
  errors: { name: 'cache_errors_total', help: 'Cache commands that failed or timed out (the loader served instead)' },
  coalescedLoads: {
    name: 'cache_coalesced_loads_total',
    help: 'Cache reads that shared a load already running for the same key',
  },
};

/**
 * Per-family counts, kept as plain numbers (counted on every cache read, so counting must cost next to nothing)
 * and exposed as Prometheus counters labelled by family, which take their values from them at scrape time.
 */
export class CacheCounters {
  // By family name; a family's counts start at its first use or its first scrape.
  private readonly counts = new Map<string, CacheFamilyCounts>();

  constructor(registry: Registry) {
    const countsOf = (family: CacheFamily) => this.countsOf(family);
    for (const count of Object.keys(counterDefinitions) as CountName[]) {
      new Counter({
        ...counterDefinitions[count],
        labelNames: ['family'],
        registers: [registry],
        collect() {
          // Every defined family's series is there from the start, so a rate over it is 0 rather than absent.
          this.reset();
          for (const family of definedCacheFamilies()) this.inc({ family: family.name }, countsOf(family)[count]);
        },
      });
    }
  }

  add(family: CacheFamily, count: CountName): void {
    this.countsOf(family)[count] += 1;
  }

  /** A copy of the family's counts since start. */
  snapshot(family: CacheFamily): CacheFamilyCounts {
    return { ...this.countsOf(family) };
  }

  private countsOf(family: CacheFamily): CacheFamilyCounts {
    let counts = this.counts.get(family.name);
    if (!counts) {
      counts = { hits: 0, misses: 0, errors: 0, coalescedLoads: 0 };
      this.counts.set(family.name, counts);
    }
    return counts;
  }
}
