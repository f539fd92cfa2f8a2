import {
  declarationRefusal,
  QueueDeclarationError,
  queueTypeOfOptions,
  subscriberQueueOptions,
} from './subscriber-queue';

/** An amqplib error as RabbitMQ's channel.close makes it. */
function refusal(message: string, code = 406): Error & { code: number } {
  return Object.assign(
    new Error(`Operation failed: QueueDeclare; ${code} (PRECONDITION-FAILED) with message "${message}"`),
    {
      code,
    },
  );
}

describe('subscriberQueueOptions', () => {
  it('declares a classic queue durable and without arguments, as before RABBITMQ_QUEUE_TYPE existed', () => {
    expect(subscriberQueueOptions('classic')).toEqual({ durable: true });
  });

  it('declares a quorum queue durable with x-queue-type, and never exclusive or auto-delete', () => {
    const options = subscriberQueueOptions('quorum');
    expect(options).toEqual({ durable: true, arguments: { 'x-queue-type': 'quorum' } });
    expect(options).not.toHaveProperty('exclusive');
    expect(options).not.toHaveProperty('autoDelete');
  });

  it.each(['classic', 'quorum'] as const)('reads back its %s options as that type', (queueType) => {
    expect(queueTypeOfOptions(subscriberQueueOptions(queueType))).toBe(queueType);
  });

  it('reads options without arguments, or none, as classic', () => {
    expect(queueTypeOfOptions(undefined)).toBe('classic');
    expect(queueTypeOfOptions({ durable: true, arguments: {} })).toBe('classic');
  });
});

describe('declarationRefusal', () => {
  it('tells, for a classic queue declared as quorum, that its type cannot change and the ways out', () => {
    const error = refusal(
      "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'payments.webhooks' in vhost '/': received the value 'quorum' of type 'longstr' but current is none",
    );
    const stop = declarationRefusal(error, 'payments.webhooks', 'quorum');
    expect(stop).toBeInstanceOf(QueueDeclarationError);
    expect(stop!.cause).toBe(error);
    expect(stop!.message).toMatch(
      /^RabbitMQ refused to declare the subscriber queue payments\.webhooks as a durable quorum queue \(RABBITMQ_QUEUE_TYPE=quorum\): it already exists as a classic queue, and a queue's type cannot change in place\./,
    );
    expect(stop!.message).toContain('a new queue name (WEBHOOK_EVENTS_QUEUE for the webhook fan-out)');
    expect(stop!.message).toContain('migrate the queue');
    expect(stop!.message).toContain('README, "RabbitMQ cluster"');
    expect(stop!.message).toContain('or keep RABBITMQ_QUEUE_TYPE=classic');
    expect(stop!.message).toContain('RabbitMQ said: Operation failed');
    expect(stop!.message).not.toContain('\n');
  });

  it('tells, for a quorum queue declared as classic, that it is a quorum queue', () => {
    const error = refusal(
      "PRECONDITION_FAILED - inequivalent arg 'x-queue-type' for queue 'payments.webhooks' in vhost '/': received none but current is the value 'quorum' of type 'longstr'",
    );
    const stop = declarationRefusal(error, 'payments.webhooks', 'classic');
    expect(stop!.message).toContain('it already exists as a quorum queue');
    expect(stop!.message).toContain('or keep RABBITMQ_QUEUE_TYPE=quorum');
  });

  it('tells of other arguments when another one differs, without guessing a type', () => {
    const error = refusal(
      "PRECONDITION_FAILED - inequivalent arg 'durable' for queue 'payments.webhooks' in vhost '/': received 'true' but current is 'false'",
    );
    const stop = declarationRefusal(error, 'payments.webhooks', 'classic');
    expect(stop!.message).toContain('it already exists with other arguments.');
    expect(stop!.message).not.toContain('or keep RABBITMQ_QUEUE_TYPE');
  });

  it.each([
    [
      'a connection that failed',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5672'), { code: 'ECONNREFUSED' }),
    ],
    ['a channel closed under the call', new Error('Channel closed')],
    ['another reply code', refusal('NOT_FOUND - no exchange', 404)],
    ['no error at all', undefined],
  ])('leaves %s to the connection manager', (_, error) => {
    expect(declarationRefusal(error, 'payments.webhooks', 'quorum')).toBeUndefined();
  });
});
