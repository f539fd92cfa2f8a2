import { randomFillSync } from 'node:crypto';

export const ID_PREFIXES = [
  'mer',
  'pay',
  're',
  'evt',
  'we',
  'acct',
  'ltx',
  'lp',
  'req',
  'obx',
  'whd',
  'key',
  'cv',
  // payouts (API.md)
  'po',
  // API.md "Disputes"
  'dp',
  // the simulated card network's references (a real network has its own)
  'net',
] as const;
export type IdPrefix = (typeof ID_PREFIXES)[number];

const base62Alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// 24 base62 characters carry about 142 bits of randomness: collisions are out of the question and ids stay
// unguessable, so knowing one merchant's id says nothing about another's.
export const idRandomLength = 24;

// A byte is accepted only below 248 (= 4 * 62) so that `byte % 62` is uniform; 3% of bytes are thrown away.
const acceptedByteLimit = 248;

// Checked before any database lookup, so that a malformed id costs a regular expression and not a query.
const idPattern = /^([a-z]+)_([0-9A-Za-z]{24})$/;

const knownPrefixes: ReadonlySet<string> = new Set(ID_PREFIXES);

// Random bytes are drawn from the CSPRNG a pool at a time (as nanoid and Node's randomUUID do): one draw costs about
// as much for 4 KiB as for 32 bytes, and an id is made for every request (its Request-Id). Each byte is used once.
const randomPool = Buffer.alloc(4096);
let randomPoolOffset = randomPool.length;

function nextRandomByte(): number {
  if (randomPoolOffset === randomPool.length) {
    randomFillSync(randomPool);
    randomPoolOffset = 0;
  }
  const byte = randomPool[randomPoolOffset]!;
  randomPoolOffset += 1;
  return byte;
}

export function newId(prefix: IdPrefix): string {
  if (!knownPrefixes.has(prefix)) {
    throw new TypeError(`unknown id prefix: ${String(prefix)}`);
  }
  let suffix = '';
  while (suffix.length < idRandomLength) {
    const byte = nextRandomByte();
    if (byte < acceptedByteLimit) suffix += base62Alphabet.charAt(byte % 62);
  }
  return `${prefix}_${suffix}`;
}

export function isId(prefix: IdPrefix, value: unknown): value is string {
  if (typeof value !== 'string') {
    return false;
  }
  const match = idPattern.exec(value);
  return match !== null && match[1] === prefix;
}
