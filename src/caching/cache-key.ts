import { type CacheFamily, isReservedKeyName } from './cache-family';

/** What a key holds: the value a service loaded (`getOrLoad`), or the JSON body a GET handler returned. The two
 * never share a key, so a stored domain object is never sent to a client as a response body. */
export type CacheView = 'data' | 'response';

// Segments never contain ':', so `family:merchantId:id` reads back one way only: two merchants cannot share a key.
const segmentLengthMax = 256;
const forbiddenInSegment = /[\s:]/;

/** Whether `value` can be a merchantId or id segment of a key: 1 to 256 characters, no ':' and no whitespace. */
export function isKeySegment(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length >= 1 &&
    value.length <= segmentLengthMax &&
    !forbiddenInSegment.test(value)
  );
}

function assertSegment(name: string, value: string): void {
  if (!isKeySegment(value)) {
    throw new TypeError(`cache key ${name} must be 1 to 256 characters without ':' or whitespace`);
  }
}

/** The key of one entry, always scoped by merchant: `family:merchantId:id` (plus `:response` for a response body). */
export function cacheKey(family: CacheFamily, merchantId: string, id: string, view: CacheView = 'data'): string {
  assertSegment('merchantId', merchantId);
  assertSegment('id', id);
  return viewKey(`${family.name}:${merchantId}:${id}`, view);
}

/** The key of `view` of the object whose 'data' key is `objectKey` (what cacheKey returns for the 'data' view). */
export function viewKey(objectKey: string, view: CacheView): string {
  return view === 'data' ? objectKey : `${objectKey}:${view}`;
}

/** The key of the generation of the object whose 'data' key is `objectKey` (`generation:family:merchantId:id`),
 * advanced by every invalidation of its entries; no family may be named `generation`, so it never collides with
 * an entry. */
export function generationKeyOf(objectKey: string): string {
  return `generation:${objectKey}`;
}

/** The keys of every entry of the object whose 'data' key is `objectKey`: what an invalidation deletes. */
export function entryKeysOf(objectKey: string): string[] {
  return [objectKey, viewKey(objectKey, 'response')];
}

/** The key of the namespace's epoch: advanced when every entry is dropped at once, so that no load that read it
 * before can store what it loaded afterwards. Not a family, so it never collides with an entry. */
export const epochKey = 'epoch';

/** Whether `key` (under the namespace) is an entry of some family, as opposed to a generation or the epoch: of
 * any family, also one this version of the application does not define (an older or newer one sharing the cache). */
export function isEntryKey(key: string): boolean {
  const separator = key.indexOf(':');
  return separator > 0 && !isReservedKeyName(key.slice(0, separator));
}

/** The merchant segment of a key under the namespace (an entry's or a generation's); undefined for any other key
 * (the epoch). */
export function merchantOfKey(key: string): string | undefined {
  const segments = key.split(':');
  const merchant = segments[0] === 'generation' ? segments[2] : isEntryKey(key) ? segments[1] : undefined;
  return merchant === '' ? undefined : merchant;
}

// FNV-1a, 32 bits: a fast, well-spread hash of a short string; nothing depends on it being cryptographic.
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The Redis Cluster hash tag of a merchant's keys, `{17}`: one of `groups` slot groups, so that a script touching a
 * merchant's entry, its generation and the group's epoch runs on one node. '' when `groups` is 1 (one server: no
 * tag, key names unchanged).
 */
export function cacheSlotTag(merchantId: string, groups: number): string {
  return groups <= 1 ? '' : `{${fnv1a(merchantId) % groups}}`;
}

/** Every slot group's tag (the epoch lives once per group): [''] for one server. */
export function cacheSlotTags(groups: number): string[] {
  return groups <= 1 ? [''] : Array.from({ length: groups }, (_, group) => `{${group}}`);
}

/** A key under the namespace as SCAN returns it, without its slot tag (`{17}:payment:mer_A:pay_1` → the rest). */
export function withoutSlotTag(key: string): { tag: string; key: string } {
  const match = /^(\{[0-9]+\}):/.exec(key);
  return match ? { tag: match[1]!, key: key.slice(match[0].length) } : { tag: '', key };
}
