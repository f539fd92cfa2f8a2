import { Keyring, KeyringError } from '../common/crypto/keyring';
import { openWebhookSecret, sealWebhookSecret } from './webhook-secret';

const keyring = new Keyring(Buffer.alloc(32, 0x5e));
const secret = 'whsec_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG';

describe('sealWebhookSecret and openWebhookSecret', () => {
  it('round-trip a secret without holding it in the clear', () => {
    const sealed = sealWebhookSecret(keyring, 'we_1', secret);
    expect(sealed.toString('latin1')).not.toContain('whsec_');
    expect(openWebhookSecret(keyring, 'we_1', sealed)).toBe(secret);
  });

  it("do not open on another endpoint's row", () => {
    const sealed = sealWebhookSecret(keyring, 'we_1', secret);
    expect(() => openWebhookSecret(keyring, 'we_2', sealed)).toThrow(KeyringError);
  });

  it('do not open under another purpose', () => {
    const sealed = keyring.seal('card vault', 'we_1', Buffer.from(secret));
    expect(() => openWebhookSecret(keyring, 'we_1', sealed)).toThrow(KeyringError);
  });

  it('open after a rotation that keeps the old key as a previous key', () => {
    const sealed = sealWebhookSecret(keyring, 'we_1', secret);
    expect(openWebhookSecret(new Keyring(Buffer.alloc(32, 0x01), [Buffer.alloc(32, 0x5e)]), 'we_1', sealed)).toBe(
      secret,
    );
  });
});
