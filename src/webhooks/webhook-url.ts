import { isIPv4, isIPv6 } from 'node:net';

// API.md: in production mode only https URLs to public addresses are accepted; outside it http and loopback are
// allowed. Everything here is pure: the DNS part lives in webhook-destination.ts and reuses classifyAddress.

export type AddressClass =
  'public' | 'private' | 'loopback' | 'link_local' | 'unspecified' | 'multicast' | 'reserved' | 'invalid';

export const webhookUrlLengthMax = 2048;

interface Range {
  /** The first address of the block, as an integer. */
  base: bigint;
  prefixLength: number;
  class: Exclude<AddressClass, 'public' | 'invalid'> | 'embedded_ipv4';
}

function ipv4ToBigInt(address: string): bigint {
  return address.split('.').reduce((value, octet) => (value << 8n) | BigInt(Number(octet)), 0n);
}

function ipv6ToBigInt(address: string): bigint {
  let text = address;
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const low = ipv4ToBigInt(dotted[2]!);
    text = `${dotted[1]}${(low >> 16n).toString(16)}:${(low & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...tailGroups];
  return groups.reduce((value, group) => (value << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function v4(cidr: string, rangeClass: Range['class']): Range {
  const [address = '', length = ''] = cidr.split('/');
  return { base: ipv4ToBigInt(address), prefixLength: Number(length), class: rangeClass };
}

function v6(cidr: string, rangeClass: Range['class']): Range {
  const [address = '', length = ''] = cidr.split('/');
  return { base: ipv6ToBigInt(address), prefixLength: Number(length), class: rangeClass };
}

// IANA special-purpose registries (RFC 6890 and successors). The first matching block wins, so more specific
// blocks come before the ones that contain them.
const ipv4Ranges: readonly Range[] = [
  v4('0.0.0.0/8', 'unspecified'),
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'private'), // shared address space (carrier-grade NAT)
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link_local'), // includes cloud metadata services (169.254.169.254)
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'reserved'),
  v4('192.0.2.0/24', 'reserved'),
  v4('192.88.99.0/24', 'reserved'),
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'reserved'),
  v4('198.51.100.0/24', 'reserved'),
  v4('203.0.113.0/24', 'reserved'),
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'), // includes the broadcast address
];

const ipv6Ranges: readonly Range[] = [
  v6('::/128', 'unspecified'),
  v6('::1/128', 'loopback'),
  v6('::ffff:0:0/96', 'embedded_ipv4'), // IPv4-mapped
  v6('64:ff9b::/96', 'embedded_ipv4'), // NAT64
  v6('64:ff9b:1::/48', 'private'),
  v6('100::/64', 'reserved'),
  v6('2001:db8::/32', 'reserved'),
  v6('2001::/23', 'reserved'), // protocol assignments, Teredo among them
  v6('2002::/16', 'embedded_ipv4'), // 6to4
  v6('fc00::/7', 'private'), // unique local
  v6('fe80::/10', 'link_local'),
  v6('fec0::/10', 'private'), // site-local (deprecated)
  v6('ff00::/8', 'multicast'),
];

// Only 2000::/3 is global unicast; anything else outside the blocks above is not a public destination.
const ipv6GlobalUnicast = v6('2000::/3', 'reserved');

function contains(range: Range, value: bigint, width: number): boolean {
  const shift = BigInt(width - range.prefixLength);
  return value >> shift === range.base >> shift;
}

function classifyIpv4(value: bigint): AddressClass {
  const range = ipv4Ranges.find((candidate) => contains(candidate, value, 32));
  return range === undefined || range.class === 'embedded_ipv4' ? 'public' : range.class;
}

/**
 * What kind of destination an IP address is. Only `public` may receive webhooks in production; an address that
 * carries an IPv4 address (mapped, NAT64, 6to4) is classified by that address. Anything that is not an IP
 * address is `invalid`.
 */
export function classifyAddress(text: string): AddressClass {
  const address = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIPv4(address)) return classifyIpv4(ipv4ToBigInt(address));
  // A zone index (fe80::1%eth0) only exists for link-scoped addresses.
  if (address.includes('%')) {
    const zone = address.indexOf('%');
    return zone < address.length - 1 && isIPv6(address.slice(0, zone)) ? 'link_local' : 'invalid';
  }
  if (!isIPv6(address)) return 'invalid';
  const value = ipv6ToBigInt(address);
  const range = ipv6Ranges.find((candidate) => contains(candidate, value, 128));
  if (!range) return contains(ipv6GlobalUnicast, value, 128) ? 'public' : 'reserved';
  if (range.class !== 'embedded_ipv4') return range.class;
  // 6to4 carries the IPv4 address right after its 16-bit prefix; the /96 blocks in their last 32 bits.
  return classifyIpv4(range.prefixLength === 16 ? (value >> 80n) & 0xffffffffn : value & 0xffffffffn);
}

export type WebhookUrlCheck =
  { ok: true; url: URL; hostname: string; addressLiteral: boolean } | { ok: false; reason: string };

/**
 * The checks that need no network: a well-formed absolute http(s) URL without credentials; in production https
 * only, and an IP literal or `localhost` name must be public. Names are resolved later (at creation and again
 * at every delivery), by the caller.
 */
export function checkWebhookUrl(text: string, production: boolean): WebhookUrlCheck {
  if (text.length > webhookUrlLengthMax)
    return { ok: false, reason: `must be at most ${webhookUrlLengthMax} characters` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'must be an absolute URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return { ok: false, reason: 'must be an http or https URL' };
  if (production && url.protocol !== 'https:') return { ok: false, reason: 'must be an https URL in production mode' };
  if (url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'must not carry credentials: deliveries are authenticated by their signature' };
  }
  // The WHATWG parser has already normalized hosts such as 0x7f.1 or 2130706433 to 127.0.0.1.
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (hostname === '') return { ok: false, reason: 'must name a host' };
  const addressLiteral = classifyAddress(hostname) !== 'invalid';
  if (production) {
    if (addressLiteral && classifyAddress(hostname) !== 'public') {
      return { ok: false, reason: `must not point to a ${describeClass(classifyAddress(hostname))} address` };
    }
    const name = hostname.toLowerCase().replace(/\.$/, '');
    // RFC 6761: localhost names always resolve to loopback.
    if (name === 'localhost' || name.endsWith('.localhost')) {
      return { ok: false, reason: 'must not point to a loopback address' };
    }
  }
  return { ok: true, url, hostname, addressLiteral };
}

export function describeClass(addressClass: AddressClass): string {
  return addressClass.replace('_', '-');
}
