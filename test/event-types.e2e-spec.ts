import { Database } from '../src/database/database';
import { type EventObject, type EventType, eventTypes } from '../src/events/event-types';
import { EventsService } from '../src/events/events.service';
import { verifyWebhookSignature } from '../packages/client/src';
import { createMerchant, eventually, type Merchant } from './support/api';
import { EventsConsumer } from './support/events-consumer';
import { current } from './support/events-polling';
import { fastProcessing } from './support/fast-processing';
import { startTestApp, type TestApp } from './support/test-app';
import { createEndpoint, deliveriesOf, postEndpoint } from './support/webhooks-api';
import { WebhookReceiver } from './support/webhooks-receiver';
import { type Widget, WidgetsModule } from './support/widgets.module';

/**
 * API.md "Events and webhooks", "Settlement and payouts" and "Disputes": the built-in types, listed by object
 * (dispute, payment, payout, refund; EventTypeRegistry: by object, then in each feature's order).
 */
const apiEventTypes = [
  'dispute.created',
  'dispute.updated',
  'dispute.closed',
  'payment.processing',
  'payment.requires_capture',
  'payment.succeeded',
  'payment.failed',
  'payment.canceled',
  'payout.created',
  'payout.in_transit',
  'payout.paid',
  'payout.failed',
  'refund.succeeded',
];

/**
 * The worked example of a new event type (issue #12): `widget.created`, declared by a feature of the tests' own
 * in its own file (test/support/widget-events.ts) and recorded by its service (test/support/widgets.module.ts),
 * mounted through AppModuleOptions.imports. Nothing else in the application names it, yet webhook endpoints
 * subscribe to it, it is delivered signed, published on RabbitMQ under its own routing key and listed.
 */
describe('a feature’s own event type', () => {
  let subject: TestApp;
  let consumer: EventsConsumer;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    subject = await startTestApp(fastProcessing, { imports: [WidgetsModule] });
    consumer = await EventsConsumer.start(subject.config.rabbitmq.eventsExchange, ['widget.*']);
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver.close();
    await consumer.close();
    await subject.close();
  });

  async function createWidget(merchant: Merchant, name = 'sprocket'): Promise<Widget> {
    const response = await subject.inject({
      method: 'POST',
      url: '/v1/widgets',
      headers: merchant.headers,
      payload: { name },
    });
    expect(response.statusCode).toBe(201);
    return response.json<Widget>();
  }

  async function eventsOf(merchant: Merchant, query = ''): Promise<EventObject[]> {
    const response = await subject.inject({ method: 'GET', url: `/v1/events${query}`, headers: merchant.headers });
    expect(response.statusCode).toBe(200);
    return response.json<{ data: EventObject[] }>().data;
  }

  it('is registered after the built-in types, which are API.md’s, in its order', () => {
    expect(eventTypes()).toEqual([...apiEventTypes, 'widget.created']);
  });

  it('is delivered, signed, to the endpoints subscribed to it, and to * (and to no other)', async () => {
    const merchant = await createMerchant(subject);
    const widgetsOnly = await createEndpoint(subject, merchant, receiver.url('/widgets'), ['widget.created']);
    expect(widgetsOnly.enabled_events).toEqual(['widget.created']);
    const everything = await createEndpoint(subject, merchant, receiver.url('/everything'), ['*']);
    const paymentsOnly = await createEndpoint(subject, merchant, receiver.url('/payments'), ['payment.succeeded']);

    const widget = await createWidget(merchant);
    const deliveries = await eventually(
      current(() => receiver.deliveries.filter((delivery) => delivery.rawBody.includes(widget.id))),
      (received) => received.length === 2,
      { what: 'the widget.created event at both subscribed endpoints' },
    );
    const [event] = await eventsOf(merchant);
    expect(event).toEqual({
      id: expect.stringMatching(/^evt_/),
      object: 'event',
      type: 'widget.created',
      created_at: expect.any(String),
      data: { object: widget },
    });
    const secrets: Record<string, string> = { '/widgets': widgetsOnly.secret, '/everything': everything.secret };
    expect(deliveries.map((delivery) => delivery.path).sort()).toEqual(['/everything', '/widgets']);
    for (const delivery of deliveries) {
      const header = delivery.headers['payments-signature'] as string;
      expect(verifyWebhookSignature({ header, rawBody: delivery.rawBody, secret: secrets[delivery.path]! })).toBe(true);
      expect(JSON.parse(delivery.rawBody)).toEqual(event);
    }
    // One fan-out enqueues every endpoint's delivery at once: by now the payments-only endpoint would have one.
    expect(await deliveriesOf(subject, merchant, paymentsOnly.id)).toEqual([]);
    const attempts = await eventually(
      () => deliveriesOf(subject, merchant, widgetsOnly.id),
      (recorded) => recorded.length > 0,
      { what: 'the delivery attempt recorded' },
    );
    expect(attempts).toEqual([expect.objectContaining({ event_id: event!.id, status_code: 200, succeeded: true })]);
  });

  it('is published on RabbitMQ with its type as routing key', async () => {
    const merchant = await createMerchant(subject);
    const widget = await createWidget(merchant);
    const [message] = await eventually(
      current(() => consumer.about(widget.id)),
      (received) => received.length > 0,
      { what: 'the widget.created message on the consumer queue' },
    );
    const [event] = await eventsOf(merchant);
    expect(message).toMatchObject({
      routingKey: 'widget.created',
      pattern: 'widget.created',
      messageId: event!.id,
      persistent: true,
      event,
    });
  });

  it('is listed, filtered on and read through GET /v1/events', async () => {
    const merchant = await createMerchant(subject);
    const first = await createWidget(merchant, 'first');
    const second = await createWidget(merchant, 'second');
    const listed = await eventsOf(merchant, '?type=widget.created');
    expect(listed.map((event) => [event.type, event.data.object.id])).toEqual([
      ['widget.created', second.id],
      ['widget.created', first.id],
    ]);
    expect(await eventsOf(merchant, '?type=payment.succeeded')).toEqual([]);
    const read = await subject.inject({ method: 'GET', url: `/v1/events/${listed[1]!.id}`, headers: merchant.headers });
    expect(read.json()).toEqual(listed[1]);
  });

  it('leaves undeclared types refused as before, naming every declared one in a stable order', async () => {
    const merchant = await createMerchant(subject);
    const everyValue = ['*', ...apiEventTypes, 'widget.created'].map((value) => `"${value}"`).join('|');
    const refused = await postEndpoint(subject, merchant, {
      url: receiver.url(),
      enabled_events: ['widget.created', 'widget.exploded'],
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      error: {
        type: 'invalid_request_error',
        code: 'parameter_invalid',
        param: 'enabled_events.1',
        message: `Invalid enabled_events.1: Invalid option: expected one of ${everyValue}`,
      },
    });
    const filtered = await subject.inject({
      method: 'GET',
      url: '/v1/events?type=widget.exploded',
      headers: merchant.headers,
    });
    expect(filtered.statusCode).toBe(400);
    expect(filtered.json()).toMatchObject({ error: { code: 'parameter_invalid', param: 'type' } });
    const listed = await subject.inject({ method: 'GET', url: '/v1/webhook_endpoints', headers: merchant.headers });
    expect(listed.json()).toMatchObject({ data: [] });
  });

  it('is covered by the OpenAPI document, which gives the format of an event type rather than a fixed list', async () => {
    const document = (await subject.inject({ method: 'GET', url: '/docs-json' })).json<{
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
    }>();
    const body = document.paths['/v1/webhook_endpoints']!.post!.requestBody!.content['application/json']!.schema as {
      properties: { enabled_events: { items: { type: string; pattern: string } } };
    };
    const item = body.properties.enabled_events.items;
    expect(item.type).toBe('string');
    const pattern = new RegExp(item.pattern);
    expect(['*', 'widget.created', 'payment.requires_capture'].every((value) => pattern.test(value))).toBe(true);
  });

  it('is refused by EventsService when declared but never registered, and nothing is recorded', async () => {
    const merchant = await createMerchant(subject);
    const database = subject.app.get(Database);
    const events = subject.app.get(EventsService);
    const object = { id: 'widget_unregistered', object: 'widget' };
    await expect(
      database.transaction((tx) => events.record(tx, merchant.id, 'widget.exploded' as EventType, object)),
    ).rejects.toThrow('event type widget.exploded is not registered');
    expect(await eventsOf(merchant)).toEqual([]);
  });
});
