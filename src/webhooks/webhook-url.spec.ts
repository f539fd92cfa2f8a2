import fc from 'fast-check';
import { type AddressClass, checkWebhookUrl, classifyAddress, webhookUrlLengthMax } from './webhook-url';

describe('classifyAddress', () => {
  it.each<[string, AddressClass]>([
    ['8.8.8.8', 'public'],
    ['93.184.215.14', 'public'],
    ['1.1.1.1', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['100.128.0.0', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link_local'],
    ['172.15.255.255', 'public'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.0', 'public'],
    ['192.0.0.8', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['192.168.1.1', 'private'],
    ['192.169.0.1', 'public'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
  ])('IPv4 %s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it.each<[string, AddressClass]>([
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4001:82b::200e', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['64:ff9b::169.254.169.254', 'link_local'],
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:0808:0808::1', 'public'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf:ffff::1', 'link_local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['100::1', 'reserved'],
    ['::1.2.3.4', 'reserved'],
    ['4000::1', 'reserved'],
  ])('IPv6 %s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it.each(['', 'localhost', 'example.com', '256.0.0.1', '1.2.3', '::g', '1.2.3.4%eth0', '[::1', 'fe80::1%'])(
    '%p is not an address',
    (text) => {
      expect(classifyAddress(text)).toBe('invalid');
    },
  );

  it('classifies every IPv4 address consistently with its IPv4-mapped IPv6 form', () => {
    fc.assert(
      fc.property(fc.ipV4(), (address) => {
        expect(classifyAddress(`::ffff:${address}`)).toBe(classifyAddress(address));
      }),
    );
  });

  it('never throws and always answers a known class', () => {
    const classes = new Set(['public', 'private', 'loopback', 'link_local', 'unspecified', 'multicast', 'reserved']);
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()), (text) => {
        const result = classifyAddress(text);
        expect(result === 'invalid' || classes.has(result)).toBe(true);
      }),
    );
  });
});

describe('checkWebhookUrl', () => {
  const development = false;
  const production = true;

  it('accepts http and loopback outside production', () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'https://example.com/x',
      'http://[::1]:1/',
    ]) {
      expect(checkWebhookUrl(url, development)).toMatchObject({ ok: true });
    }
  });

  it('accepts https to a public address or a name in production', () => {
    const byAddress = checkWebhookUrl('https://93.184.215.14/hook', production);
    expect(byAddress).toMatchObject({ ok: true, hostname: '93.184.215.14', addressLiteral: true });
    const byName = checkWebhookUrl('https://hooks.example.com:8443/in?x=1', production);
    expect(byName).toMatchObject({ ok: true, hostname: 'hooks.example.com', addressLiteral: false });
    expect(checkWebhookUrl('https://[2606:4700:4700::1111]/', production)).toMatchObject({
      ok: true,
      hostname: '2606:4700:4700::1111',
      addressLiteral: true,
    });
  });

  it.each([
    ['http://93.184.215.14/hook', /https/],
    ['http://127.0.0.1/hook', /https/],
    ['https://127.0.0.1/hook', /loopback/],
    ['https://0x7f.1/hook', /loopback/],
    ['https://2130706433/hook', /loopback/],
    ['https://[::1]/hook', /loopback/],
    ['https://[::ffff:127.0.0.1]/hook', /loopback/],
    ['https://localhost/hook', /loopback/],
    ['https://LOCALHOST./hook', /loopback/],
    ['https://api.localhost/hook', /loopback/],
    ['https://10.1.2.3/hook', /private/],
    ['https://192.168.0.10/hook', /private/],
    ['https://169.254.169.254/latest/meta-data', /link-local/],
    ['https://[fe80::1]/hook', /link-local/],
    ['https://0.0.0.0/hook', /unspecified/],
    ['https://224.0.0.1/hook', /multicast/],
  ])('refuses %s in production', (url, reason) => {
    const result = checkWebhookUrl(url, production);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it.each([
    ['a long URL', `https://example.com/${'a'.repeat(webhookUrlLengthMax)}`, /at most/],
    ['text', 'not a url', /absolute URL/],
    ['a relative path', '/relative/path', /absolute URL/],
    ['ftp', 'ftp://example.com/hook', /http or https/],
    ['javascript', 'javascript:alert(1)', /http or https/],
    ['a file', 'file:///etc/passwd', /http or https/],
    ['a user and password', 'https://user:secret@example.com/hook', /credentials/],
    ['a user', 'https://token@example.com/hook', /credentials/],
  ])('refuses %s in every mode', (_case, url, reason) => {
    for (const mode of [development, production]) {
      const result = checkWebhookUrl(url, mode);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(reason);
    }
  });
});
