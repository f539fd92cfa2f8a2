import { lagByTopic } from './outbox-lag';

describe('lagByTopic', () => {
  it('reports every known topic, as zero when nothing of it waits', () => {
    expect(Object.fromEntries(lagByTopic(['payment.authorize', 'event.publish'], []))).toEqual({
      'payment.authorize': { oldestAgeSeconds: 0, unsentCount: 0 },
      'event.publish': { oldestAgeSeconds: 0, unsentCount: 0 },
    });
  });

  it('takes what is waiting from the database, including a topic no dispatcher is known for', () => {
    const lag = lagByTopic(
      ['payment.authorize', 'event.publish'],
      [
        { topic: 'event.publish', unsentCount: 600, oldestAgeSeconds: 12.5 },
        { topic: 'retired.topic', unsentCount: 3, oldestAgeSeconds: 3600 },
      ],
    );
    expect(Object.fromEntries(lag)).toEqual({
      'payment.authorize': { oldestAgeSeconds: 0, unsentCount: 0 },
      'event.publish': { oldestAgeSeconds: 12.5, unsentCount: 600 },
      'retired.topic': { oldestAgeSeconds: 3600, unsentCount: 3 },
    });
  });

  it('never reports a negative age', () => {
    const lag = lagByTopic([], [{ topic: 'event.publish', unsentCount: 1, oldestAgeSeconds: -0.002 }]);
    expect(lag.get('event.publish')).toEqual({ oldestAgeSeconds: 0, unsentCount: 1 });
  });

  it('refuses a count that is not a non-negative integer', () => {
    for (const unsentCount of [-1, 1.5, Number.NaN])
      expect(() => lagByTopic([], [{ topic: 't', unsentCount, oldestAgeSeconds: 0 }])).toThrow(RangeError);
  });
});
