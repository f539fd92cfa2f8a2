import { newId } from '../src/common/ids';
import { Database } from '../src/database/database';
import { webhookEndpoints } from '../src/database/schema';
import {
  createMerchant,
  createPayment,
  eventually,
  type Merchant,
  type PaymentBody,
  settledPayment,
} from './support/api';
import { fastProcessing } from './support/fast-processing';
import { createRabbitmqUser, type RabbitmqUser } from './support/rabbitmq-user';
import { startTestApp, type TestApp } from './support/test-app';
import { deliveriesOf, postEndpoint } from './support/webhooks-api';
import { WebhookReceiver } from './support/webhooks-receiver';

describe('webhook URLs in production mode', () => {
  let subject: TestApp;
  let merchant: Merchant;
  let receiver: WebhookReceiver;
  let rabbitmqUser: RabbitmqUser;

  beforeAll(async () => {
    // Production refuses RabbitMQ's guest/guest: the app logs in as a user of its own.
    rabbitmqUser = await createRabbitmqUser();
    subject = await startTestApp({
      ...fastProcessing,
      NODE_ENV: 'production',
      CARD_VAULT_KEY: 'ab'.repeat(32),
      FINGERPRINT_KEY: 'cd'.repeat(32),
      RABBITMQ_URL: rabbitmqUser.url,
      WEBHOOK_ATTEMPTS_MAX: '1',
    });
    merchant = await createMerchant(subject);
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await subject.close();
    await receiver.close();
    await rabbitmqUser.remove();
  });

  it.each([
    ['http to loopback', () => receiver.url(), /https/],
    ['http to a public address', () => 'http://93.184.215.14/hook', /https/],
    ['https to loopback', () => `https://127.0.0.1:${receiver.port}/hook`, /loopback/],
    ['https to IPv6 loopback', () => 'https://[::1]/hook', /loopback/],
    ['https to localhost', () => 'https://localhost/hook', /loopback/],
    ['https to a private network', () => 'https://10.0.0.8/hook', /private/],
    ['https to a home network', () => 'https://192.168.1.20/hook', /private/],
    ['https to the metadata service', () => 'https://169.254.169.254/latest/meta-data', /link-local/],
    ['https to an IPv4-mapped private address', () => 'https://[::ffff:172.16.0.1]/hook', /private/],
  ])('refuses %s with 400 parameter_invalid on url', async (_case, url, reason) => {
    const response = await postEndpoint(subject, merchant, { url: url(), enabled_events: ['*'] });
    expect(response.statusCode).toBe(400);
    const body = response.json<{ error: { type: string; code: string; param: string; message: string } }>();
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'parameter_invalid', param: 'url' });
    expect(body.error.message).toMatch(reason);
  });

  it('accepts https to a public address', async () => {
    const response = await postEndpoint(subject, merchant, {
      url: 'https://93.184.215.14/hook',
      enabled_events: ['*'],
    });
    expect(response.statusCode).toBe(201);
  });

  it('checks the destination again at delivery time, and sends nothing to a loopback address', async () => {
    const other = await createMerchant(subject, 'Rebound');
    // As if the endpoint's name had been re-pointed at a loopback address after creation (DNS rebinding).
    const endpointId = newId('we');
    await subject.app
      .get(Database)
      .db.insert(webhookEndpoints)
      .values({
        id: endpointId,
        merchantId: other.id,
        url: `https://127.0.0.1:${receiver.port}/hook`,
        secret: 'whsec_test',
        enabledEvents: ['payment.succeeded'],
      });
    const created = await createPayment(subject, other);
    await settledPayment(subject, other, created.json<PaymentBody>().id);
    const attempts = await eventually(
      () => deliveriesOf(subject, other, endpointId),
      (recorded) => recorded.length === 1,
      { what: 'the refused delivery attempt' },
    );
    expect(attempts[0]).toMatchObject({ status_code: null, succeeded: false });
    expect(attempts[0]!.error).toMatch(/^refused: .*loopback/);
    expect(receiver.deliveries).toHaveLength(0);
  });
});
