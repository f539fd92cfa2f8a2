import { randomBytes } from 'node:crypto';

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

export function newId(prefix: IdPrefix): string {
  if (!knownPrefixes.has(prefix)) {
    throw new TypeError(`unknown id prefix: ${String(prefix)}`);
  }
  let suffix = '';
  while (suffix.length < idRandomLength) {
    // A few spare bytes so that one draw is almost always enough despite the rejected ones.
    for (const byte of randomBytes(idRandomLength + 8)) {
      if (byte < acceptedByteLimit) {
        suffix += base62Alphabet.charAt(byte % 62);
        if (suffix.length === idRandomLength) {
          break;
        }
      }
    }
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
