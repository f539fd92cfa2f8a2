import { Controller, Logger } from '@nestjs/common';
import { Ctx, EventPattern, Payload, type RmqContext } from '@nestjs/microservices';
import type { Channel, Message } from 'amqplib';
import { isId } from '../common/ids';
import { throttledWarning } from '../queueing/queue-errors';
import { EVENT_MERCHANT_HEADER } from '../events/events.constants';
import { type FanOutHint, WebhookDeliveries } from './webhook-deliveries.service';
import { WEBHOOK_EVENTS_PATTERN, WEBHOOK_EVENTS_TRANSPORT } from './webhooks.constants';
import { webhookLimits } from './webhooks.limits';

function eventIdOf(payload: unknown): string | undefined {
  const id = (payload as { id?: unknown } | null)?.id;
  return isId('evt', id) ? id : undefined;
}

/** The merchant header and type of an event message, when both are well formed (see FanOutHint). */
function hintOf(payload: unknown, message: Message): FanOutHint | undefined {
  const merchantId: unknown = message.properties.headers?.[EVENT_MERCHANT_HEADER];
  const type = (payload as { type?: unknown } | null)?.type;
  if (!isId('mer', merchantId) || typeof type !== 'string') return undefined;
  return { merchantId, type };
}

/**
 * The webhook fan-out: the first RabbitMQ subscriber. It consumes every event (`#`) from its own queue
 * (WEBHOOK_EVENTS_QUEUE) and acknowledges a message only once its delivery jobs are in Redis, so an event is
 * never lost between RabbitMQ and BullMQ; a message that comes twice enqueues nothing new (jobIds).
 */
@Controller()
export class WebhookEventsController {
  private readonly logger = new Logger(WebhookEventsController.name);
  private readonly warnAboutFailure = throttledWarning(this.logger, 'webhook fan-out failed; the event is retried');

  constructor(private readonly deliveries: WebhookDeliveries) {}

  @EventPattern<string>(WEBHOOK_EVENTS_PATTERN, WEBHOOK_EVENTS_TRANSPORT)
  async onEvent(@Payload() payload: unknown, @Ctx() context: RmqContext): Promise<void> {
    const channel = context.getChannelRef() as Channel;
    const message = context.getMessage() as Message;
    const eventId = eventIdOf(payload);
    if (!eventId) {
      this.logger.warn({ pattern: context.getPattern() }, 'dropping a message that is not an event');
      return settle(() => channel.ack(message));
    }
    try {
      const result = await this.deliveries.fanOut(eventId, hintOf(payload, message));
      // Not in this deployment's database: published by another deployment sharing the exchange.
      if (result.outcome === 'unknown_event') this.logger.warn({ eventId }, 'dropping an event that is not ours');
      settle(() => channel.ack(message));
    } catch (error) {
      this.warnAboutFailure(error as Error);
      await new Promise((resolve) => setTimeout(resolve, webhookLimits.fanOutRetryDelayMs));
      settle(() => channel.nack(message, false, true));
    }
  }
}

/**
 * Acknowledging on a channel that closed meanwhile throws; RabbitMQ then redelivers the message on the new
 * channel, which the jobIds make harmless.
 */
function settle(acknowledge: () => void): void {
  try {
    acknowledge();
  } catch {
    // redelivered later
  }
}
