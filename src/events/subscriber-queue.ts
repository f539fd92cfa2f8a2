// How a subscriber's queue is declared, and what to tell the operator when RabbitMQ refuses the declaration.
// Pure: no Nest, no amqplib connection.
import type { RabbitmqQueueType } from '../config/config.schema';

/** What amqplib's assertQueue takes: the subset this app sets. */
export interface SubscriberQueueOptions {
  durable: true;
  arguments?: { 'x-queue-type': 'quorum' };
}

/**
 * The declaration of every subscriber queue, by its RMQ server, by the publisher and at start alike (they must
 * agree: RabbitMQ refuses a declaration that differs from the queue's). Durable either way; a quorum queue cannot
 * be exclusive or auto-delete, and is replicated across the cluster's nodes. A classic queue is declared without
 * `x-queue-type`, exactly as before the setting existed, so a running deployment's queues stay equivalent.
 */
export function subscriberQueueOptions(queueType: RabbitmqQueueType): SubscriberQueueOptions {
  return queueType === 'quorum' ? { durable: true, arguments: { 'x-queue-type': 'quorum' } } : { durable: true };
}

/** The queue type of declaration options made by subscriberQueueOptions (Nest's transports hand them back untyped). */
export function queueTypeOfOptions(options: unknown): RabbitmqQueueType {
  const queueType = (options as { arguments?: Record<string, unknown> } | undefined)?.arguments?.['x-queue-type'];
  return queueType === 'quorum' ? 'quorum' : 'classic';
}

/** RabbitMQ's reply code for a declaration that is not equivalent to the existing queue's. */
const preconditionFailedCode = 406;

/** The queue's current type in RabbitMQ's refusal: "… for queue 'q' …: received none but current is the value 'quorum' …". */
const queueTypeMismatch = /inequivalent arg 'x-queue-type'.*current is (?:the value '([a-z]+)'|none)/;

/**
 * The start-up failure that says what to do: a subscriber queue exists with a type or arguments other than the
 * configured ones, and a queue's type cannot change in place.
 */
export class QueueDeclarationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'QueueDeclarationError';
  }
}

/**
 * When `error` is RabbitMQ refusing to declare `queue` because it exists with other arguments (406
 * PRECONDITION_FAILED), the error to stop on, naming the queue's type and the two ways out; otherwise undefined
 * (the broker unreachable, a closed channel: the connection manager keeps trying).
 */
export function declarationRefusal(
  error: unknown,
  queue: string,
  queueType: RabbitmqQueueType,
): QueueDeclarationError | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== preconditionFailedCode || typeof message !== 'string' || !message.includes('PRECONDITION_FAILED'))
    return undefined;
  const mismatch = queueTypeMismatch.exec(message);
  const current = mismatch ? (mismatch[1] ?? 'classic') : undefined;
  const refused = `RabbitMQ refused to declare the subscriber queue ${queue} as a durable ${queueType} queue (RABBITMQ_QUEUE_TYPE=${queueType})`;
  const reason = current
    ? `it already exists as a ${current} queue, and a queue's type cannot change in place`
    : `it already exists with other arguments`;
  const ways =
    `Either migrate the queue (stop the relay, let the workers empty it, delete it, then start with the new ` +
    `setting), or give the subscription a new queue name (WEBHOOK_EVENTS_QUEUE for the webhook fan-out) and delete ` +
    `the old queue, which stays bound (README, "RabbitMQ cluster")` +
    (current && current !== queueType ? `; or keep RABBITMQ_QUEUE_TYPE=${current}` : '');
  return new QueueDeclarationError(`${refused}: ${reason}. ${ways}. RabbitMQ said: ${message}`, { cause: error });
}
