import 'reflect-metadata';
import { PATTERN_METADATA, TRANSPORT_METADATA } from '@nestjs/microservices/constants';
import { parseConfig } from '../config/config.schema';
import { WebhookEventsController } from './webhook-events.controller';
import { WEBHOOK_EVENTS_TRANSPORT } from './webhooks.constants';
import { webhookEventSubscription } from './webhooks.module';

/** The patterns of the @EventPattern handlers of `controller` on `transport`. */
function handlerPatterns(controller: { prototype: object }, transport: symbol): string[] {
  const prototype = controller.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(prototype)
    .map((name) => prototype[name])
    .filter((handler): handler is object => typeof handler === 'function')
    .filter((handler) => Reflect.getMetadata(TRANSPORT_METADATA, handler) === transport)
    .flatMap((handler) => Reflect.getMetadata(PATTERN_METADATA, handler) as string[]);
}

describe('the webhook event subscription', () => {
  const subscription = webhookEventSubscription(parseConfig({}));

  it('declares exactly the patterns its handlers consume, for the publisher to bind', () => {
    const patterns = handlerPatterns(WebhookEventsController, WEBHOOK_EVENTS_TRANSPORT);
    expect(patterns.length).toBeGreaterThan(0);
    expect([...subscription.patterns].sort()).toEqual([...new Set(patterns)].sort());
  });

  it('is consumed by the roles that run workers', () => {
    expect([...subscription.roles].sort()).toEqual(['all', 'worker']);
    expect(subscription.transport).toBe(WEBHOOK_EVENTS_TRANSPORT);
  });
});
