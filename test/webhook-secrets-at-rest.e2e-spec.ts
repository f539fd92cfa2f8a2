import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { keyIdOf, sealedKeyId } from '../src/common/crypto/keyring';
import { developmentCardVaultKey } from '../src/config/config.schema';
import { Database } from '../src/database/database';
import { verifyWebhookSignature } from '../packages/client/src';
import { createMerchant, createPayment, eventually, type PaymentBody, settledPayment } from './support/api';
import { current } from './support/events-polling';
import { fastProcessing } from './support/fast-processing';
import { startTestApp, type TestApp } from './support/test-app';
import { dropDatabase, postgresServerUrl, uniqueDatabaseName } from './support/test-database';
import { newTestNamespace } from './support/test-names';
import { createEndpoint } from './support/webhooks-api';
import { WebhookReceiver } from './support/webhooks-receiver';

interface EndpointColumns extends Record<string, unknown> {
  id: string;
  secret: string | null;
  secret_sealed: Buffer | null;
}

describe('webhook signing secrets at rest', () => {
  const databaseName = uniqueDatabaseName();
  const names = newTestNamespace();
  const shared = {
    ...fastProcessing,
    DATABASE_URL: `${postgresServerUrl}/${databaseName}`,
    ...names.environment,
  };
  const running: TestApp[] = [];
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    for (const app of running.splice(0)) await app.close();
    await receiver.close();
    await names.remove();
    await dropDatabase(databaseName);
  });

  async function endpointColumns(subject: TestApp): Promise<EndpointColumns[]> {
    const result = await subject.app
      .get(Database)
      .db.execute<EndpointColumns>(sql`SELECT id, secret, secret_sealed FROM webhook_endpoints ORDER BY id`);
    return result.rows;
  }

  it('stores new secrets sealed only, seals older clear ones at start, and signs with them', async () => {
    const first = await startTestApp(shared);
    running.push(first);
    const merchant = await createMerchant(first);
    const endpoint = await createEndpoint(first, merchant, receiver.url(), ['payment.succeeded']);
    const [stored] = await endpointColumns(first);
    expect(stored!.secret).toBeNull();
    expect(stored!.secret_sealed!.includes(Buffer.from(endpoint.secret))).toBe(false);
    expect(stored!.secret_sealed!.includes(Buffer.from('whsec_'))).toBe(false);

    // The row as a version before sealing wrote it: the secret in the clear.
    await first.app
      .get(Database)
      .db.execute(sql`UPDATE webhook_endpoints SET secret = ${endpoint.secret}, secret_sealed = NULL`);
    running.splice(0);
    await first.close();

    const second = await startTestApp(shared);
    running.push(second);
    const [resealed] = await endpointColumns(second);
    expect(resealed!.secret).toBeNull();
    expect(resealed!.secret_sealed).not.toBeNull();
    expect(resealed!.secret_sealed!.includes(Buffer.from(endpoint.secret))).toBe(false);

    const payment = await createPayment(second, merchant);
    await settledPayment(second, merchant, payment.json<PaymentBody>().id);
    const [delivery] = await eventually(
      current(() => receiver.deliveries),
      (deliveries) => deliveries.length === 1,
      { what: 'the delivery signed with the resealed secret' },
    );
    const header = delivery!.headers['payments-signature'] as string;
    expect(verifyWebhookSignature({ header, rawBody: delivery!.rawBody, secret: endpoint.secret })).toBe(true);
    running.splice(0);
    await second.close();

    // A rotation: started with a new key and the old one as previous, the secret is resealed under the new key…
    const keyB = randomBytes(32);
    const rotated = await startTestApp({
      ...shared,
      CARD_VAULT_KEY: keyB.toString('hex'),
      CARD_VAULT_PREVIOUS_KEYS: developmentCardVaultKey,
    });
    running.push(rotated);
    const [underB] = await endpointColumns(rotated);
    expect(sealedKeyId(underB!.secret_sealed!)).toBe(keyIdOf(keyB));
    running.splice(0);
    await rotated.close();

    // …so that once the old key is dropped, deliveries are still signed with the same secret.
    const onlyB = await startTestApp({ ...shared, CARD_VAULT_KEY: keyB.toString('hex') });
    running.push(onlyB);
    const later = await createPayment(onlyB, merchant);
    await settledPayment(onlyB, merchant, later.json<PaymentBody>().id);
    const [, afterRotation] = await eventually(
      current(() => receiver.deliveries),
      (deliveries) => deliveries.length === 2,
      { what: 'the delivery signed after the old key was dropped' },
    );
    const laterHeader = afterRotation!.headers['payments-signature'] as string;
    expect(
      verifyWebhookSignature({ header: laterHeader, rawBody: afterRotation!.rawBody, secret: endpoint.secret }),
    ).toBe(true);
  });
});
