import { type OutboxRowsDispatcher, QueueRegistry } from './queue-registry';

const queue = (name: string) => ({ name, getJobCounts: () => Promise.resolve({}) });
const dispatcher: OutboxRowsDispatcher = () => Promise.resolve();

describe('QueueRegistry', () => {
  it('lists the declared queues in declaration order', () => {
    const registry = new QueueRegistry();
    registry.add(queue('payments'));
    registry.add(queue('webhooks'));
    expect(registry.queues.map((declared) => declared.name)).toEqual(['payments', 'webhooks']);
  });

  it('refuses a queue declared twice and a topic feeding two queues', () => {
    const registry = new QueueRegistry();
    registry.add(queue('payments'), new Map([['payment.authorize', dispatcher]]));
    expect(() => registry.add(queue('payments'))).toThrow('queue payments is declared twice');
    expect(() => registry.add(queue('other'), new Map([['payment.authorize', dispatcher]]))).toThrow(
      'outbox topic payment.authorize feeds two queues',
    );
    expect(registry.queues.map((declared) => declared.name)).toEqual(['payments']);
  });

  it('tells a listener the topics declared before it listened and those declared after', () => {
    const registry = new QueueRegistry();
    const early: OutboxRowsDispatcher = () => Promise.resolve();
    const late: OutboxRowsDispatcher = () => Promise.resolve();
    registry.add(queue('payments'), new Map([['payment.authorize', early]]));
    const heard: [string, OutboxRowsDispatcher][] = [];
    registry.onOutboxTopic((topic, dispatch) => heard.push([topic, dispatch]));
    registry.add(queue('reports'), new Map([['report.build', late]]));
    expect(heard).toEqual([
      ['payment.authorize', early],
      ['report.build', late],
    ]);
  });
});
